package dev.lifeboat.scheduler.api;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.api.Params;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.scheduler.timeline.Timeline;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** What happened to a cluster, from every service, in order: what an SRE reads first during an incident. */
@Path("/api/v1/clusters/{cluster}/timeline")
@Produces(MediaType.APPLICATION_JSON)
public class TimelineResource {

    private final Timeline timeline;
    private final ClusterAccess access;

    public TimelineResource(Timeline timeline, ClusterAccess access) {
        this.timeline = timeline;
        this.access = access;
    }

    /** {@code since} (RFC 3339, default: the beginning) and {@code limit} (1–5000, default 200). */
    @GET
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<Timeline.Entry>> get(@PathParam("cluster") String cluster, @QueryParam("since") String since,
            @QueryParam("limit") String limit) {
        access.require(cluster);
        return timeline.of(cluster, Params.time("since", since, Instant.EPOCH), Params.integer("limit", limit, 1, 5000, 200));
    }
}
