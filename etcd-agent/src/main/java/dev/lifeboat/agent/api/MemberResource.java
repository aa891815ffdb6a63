package dev.lifeboat.agent.api;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.etcd.RestoreTool;
import dev.lifeboat.agent.member.MemberRestorer;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/v1/member}: the member, its etcd process, the restore tool found, and the restores it took part in. */
@Path("/api/v1/member")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class MemberResource {

    private final AgentConfig config;
    private final EtcdSupervisor etcd;
    private final RestoreTool tool;
    private final MemberRestorer restorer;

    public MemberResource(AgentConfig config, EtcdSupervisor etcd, RestoreTool tool, MemberRestorer restorer) {
        this.config = config;
        this.etcd = etcd;
        this.tool = tool;
        this.restorer = restorer;
    }

    @GET
    public Map<String, Object> member() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("clusterId", config.clusterId());
        view.put("memberName", config.memberName());
        view.put("etcd", etcd.describe());
        RestoreTool.Tool found = tool.tool();
        view.put("restoreTool", Map.of("name", found.name(), "bumpsRevision", found.bumps()));
        view.put("restores", restorer.history());
        return view;
    }
}
