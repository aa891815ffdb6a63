package dev.lifeboat.retention.api;

import java.util.Map;

import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.retention.knowledge.SnapshotRecord;
import dev.lifeboat.retention.prune.Retention;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.WebApplicationException;

/** Retention of a cluster (preview: viewer; run now: operator) and holds on snapshots (operator). */
@Path("/api/v1")
public class RetentionResource {

    private final Retention retention;
    private final ClusterAccess access;

    public RetentionResource(Retention retention, ClusterAccess access) {
        this.retention = retention;
        this.access = access;
    }

    /** Every Completed snapshot with keep/delete and the rule that decided; orphans and missing snapshots. Deletes nothing. */
    @GET
    @Path("/clusters/{id}/retention/preview")
    @Blocking
    @RolesAllowed(Roles.VIEWER)
    public Retention.Preview preview(@PathParam("id") String clusterId) {
        access.require(clusterId);
        return retention.preview(clusterId);
    }

    /** Reconciles and prunes the cluster now; answers what was deleted. */
    @POST
    @Path("/clusters/{id}/retention/run")
    @Blocking
    @RolesAllowed(Roles.OPERATOR)
    public Retention.Outcome run(@PathParam("id") String clusterId) {
        access.require(clusterId);
        return retention.run(clusterId);
    }

    /** Puts a snapshot on hold: retention never deletes it until the hold is released. */
    @POST
    @Path("/snapshots/{id}/hold")
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Map<String, Object>> hold(@PathParam("id") String snapshotId) {
        return setHold(snapshotId, true);
    }

    @DELETE
    @Path("/snapshots/{id}/hold")
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Map<String, Object>> release(@PathParam("id") String snapshotId) {
        return setHold(snapshotId, false);
    }

    private Uni<Map<String, Object>> setHold(String snapshotId, boolean held) {
        return Panache.withTransaction(() -> SnapshotRecord.<SnapshotRecord>findById(snapshotId).map(snapshot -> {
            if (snapshot == null || !access.allows(snapshot.clusterId)) {
                throw new NotFoundException("snapshot '" + snapshotId + "' is not a completed snapshot retention knows");
            }
            if (held && snapshot.state != SnapshotRecord.State.COMPLETED && snapshot.state != SnapshotRecord.State.MISSING) {
                throw new WebApplicationException("snapshot '" + snapshotId + "' is " + snapshot.state + "; it cannot be held", 409);
            }
            access.require(snapshot.clusterId);
            snapshot.held = held;
            return Map.of("id", snapshotId, "held", held, "state", snapshot.state.name());
        }));
    }
}
