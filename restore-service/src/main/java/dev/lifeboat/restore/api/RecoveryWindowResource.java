package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.DeltaGapRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** What a cluster can be restored to: every revision and time range, newest first, and the gaps capture recorded. */
@Path("/api/v1/clusters/{cluster}/recovery-window")
@Produces(MediaType.APPLICATION_JSON)
public class RecoveryWindowResource {

    /** A gap delta capture recorded: chain {@code chainId} lost the changes after {@code lastRevision}. */
    public record Gap(String chainId, long lastRevision, Long compactRevision, String reason, Instant detectedAt) {
    }

    /**
     * @param windows each restorable range: {@code toRevision}/{@code toTime} (or a snapshot id) inside one
     *                of them can be restored; a range of one revision is a full snapshot with no capture after it
     */
    public record RecoveryWindow(String cluster, List<RecoveryChains.Window> windows, List<Gap> gaps) {
    }

    private final ClusterAccess access;

    public RecoveryWindowResource(ClusterAccess access) {
        this.access = access;
    }

    @GET
    @WithSession
    @RolesAllowed(Roles.VIEWER)
    public Uni<RecoveryWindow> get(@PathParam("cluster") String cluster) {
        access.require(cluster);
        return ClusterRecord.<ClusterRecord>findById(cluster).chain(known -> {
            if (known == null) {
                throw new NotFoundException("cluster '" + cluster + "' is not registered with Lifeboat");
            }
            return SnapshotRecord.kept(cluster).chain(rows -> DeltaGapRecord.newestFirst(cluster, Integer.MAX_VALUE).map(gaps -> new RecoveryWindow(cluster,
                            RecoveryChains.windows(rows.stream().filter(r -> r.kind == SnapshotKind.FULL).map(SnapshotRecord::asFull).toList(),
                                    rows.stream().filter(r -> r.kind == SnapshotKind.DELTA && r.chainId != null).map(SnapshotRecord::asDelta).toList()),
                            gaps.stream().map(g -> new Gap(g.chainId, g.lastRevision, g.compactRevision, g.reason, g.detectedAt)).toList())));
        });
    }
}
