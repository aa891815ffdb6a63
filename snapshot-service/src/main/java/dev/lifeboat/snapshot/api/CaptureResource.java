package dev.lifeboat.snapshot.api;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.snapshot.delta.CaptureStatus;
import dev.lifeboat.snapshot.delta.ChainRecord;
import dev.lifeboat.snapshot.delta.Chains;
import dev.lifeboat.snapshot.delta.DeltaCapture;
import dev.lifeboat.snapshot.delta.DeltaPolicyRecord;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Delta capture of a cluster: its policy, its chains (newest first) and, on the instance that runs it, the live figures. */
@Path("/api/v1/clusters/{cluster}/delta-capture")
@Produces(MediaType.APPLICATION_JSON)
public class CaptureResource {

    /** A chain as shown. */
    public record ChainView(String id, String state, String baseSnapshotId, Long baseRevision, Long lastRevision, Instant lastEventAt,
            long deltas, String endReason, Instant createdAt, Instant activatedAt, Instant endedAt) {

        static ChainView of(ChainRecord c) {
            return new ChainView(c.id, c.state.name(), c.baseSnapshotId, c.baseRevision, c.lastRevision, c.lastEventAt, c.deltas, c.endReason,
                    c.createdAt, c.activatedAt, c.endedAt);
        }
    }

    /**
     * @param periodSeconds null when the cluster has no DELTA policy
     * @param live          the watcher's figures when this instance captures the cluster, else null (another replica does)
     */
    public record CaptureView(String cluster, Long periodSeconds, Long maxBytes, List<ChainView> chains, CaptureStatus live) {
    }

    private final Chains chains;
    private final DeltaCapture capture;
    private final ClusterAccess access;

    public CaptureResource(Chains chains, DeltaCapture capture, ClusterAccess access) {
        this.chains = chains;
        this.capture = capture;
        this.access = access;
    }

    @GET
    @WithSession
    @RolesAllowed(Roles.VIEWER)
    public Uni<CaptureView> get(@PathParam("cluster") String cluster) {
        access.require(cluster);
        return DeltaPolicyRecord.<DeltaPolicyRecord>findById(cluster).chain(policy -> chains.history(cluster, 20).map(history -> new CaptureView(
                cluster, policy == null ? null : policy.periodSeconds, policy == null ? null : policy.maxBytes,
                history.stream().map(ChainView::of).toList(), capture.status(cluster).orElse(null))));
    }
}
