package dev.lifeboat.restore.api;

import java.net.URI;
import java.util.List;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.restore.drill.DrillRecord;
import dev.lifeboat.restore.drill.Drills;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

/**
 * Restore drills: ask for one (operator — a drill changes nothing of the cluster) and follow them (viewer). A token
 * limited to some clusters drills and sees those only.
 */
@Path("/api/v1/drills")
public class DrillResource {

    private final Drills drills;
    private final ClusterAccess access;

    public DrillResource(Drills drills, ClusterAccess access) {
        this.drills = drills;
        this.access = access;
    }

    /** Accepts a drill: 202 with its id and state RUNNING; GET it for the verdict. */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Response> request(@Valid DrillRequest body) {
        if (body == null) {
            throw new InvalidRequestException("body", "a JSON body is required");
        }
        String cluster = body.requireCluster();
        access.require(cluster);
        return drills.request(cluster, body.snapshot(), access.caller(), body.drillId(), body.toRevision())
                .map(drill -> Response.accepted(DrillView.of(drill)).location(URI.create("/api/v1/drills/" + drill.id)).build());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed(Roles.VIEWER)
    public Uni<DrillView> get(@PathParam("id") String id) {
        return Panache.withSession(() -> DrillRecord.<DrillRecord>findById(id)).map(drill -> {
            if (drill == null || !access.allows(drill.clusterId)) {
                throw new NotFoundException("drill '" + id + "' is unknown");
            }
            return DrillView.of(drill);
        });
    }

    /** Newest first; {@code ?cluster=} restricts to one cluster's drills. */
    @GET
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<DrillView>> list(@QueryParam("cluster") String cluster) {
        if (cluster != null) {
            access.require(cluster);
        }
        return Panache.withSession(() -> DrillRecord.newestFirst(cluster, 200))
                .map(list -> list.stream().filter(drill -> access.allows(drill.clusterId)).map(DrillView::of).toList());
    }
}
