package dev.lifeboat.agent.api;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.etcd.RestoreTool;
import dev.lifeboat.agent.member.MemberRestorer;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/v1/member} (viewer): the member, its etcd process, the restore tool found, and the restores it took part in. */
@Path("/api/v1/member")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class MemberResource {

    private final AgentConfig config;
    private final EtcdSupervisor etcd;
    private final RestoreTool tool;
    private final MemberRestorer restorer;
    private final ClusterAccess access;

    public MemberResource(AgentConfig config, EtcdSupervisor etcd, RestoreTool tool, MemberRestorer restorer, ClusterAccess access) {
        this.access = access;
        this.config = config;
        this.etcd = etcd;
        this.tool = tool;
        this.restorer = restorer;
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    public Map<String, Object> member() {
        access.require(config.clusterId());
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
