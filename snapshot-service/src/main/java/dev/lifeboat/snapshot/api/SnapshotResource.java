package dev.lifeboat.snapshot.api;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.StoredFormat;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.api.Params;
import dev.lifeboat.events.audit.AuditTrail;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.snapshot.catalog.SnapshotEntry;
import dev.lifeboat.snapshot.catalog.SnapshotPhase;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestMulti;

/**
 * The snapshot catalog over REST (viewer), and the plain content of a snapshot (restorer: it holds every
 * Secret of the cluster, decrypted), each download an event in the cluster's timeline.
 */
@Path("/api/v1/snapshots")
@Produces(MediaType.APPLICATION_JSON)
public class SnapshotResource {

    private final ObjectStore store;
    private final StoredFormat format;
    private final ContentStreams contents;
    private final ClusterAccess access;
    private final AuditTrail audit;

    public SnapshotResource(ObjectStore store, StoredFormat format, ContentStreams contents, ClusterAccess access, AuditTrail audit) {
        this.store = store;
        this.format = format;
        this.contents = contents;
        this.access = access;
        this.audit = audit;
    }

    /**
     * Snapshots, newest first, optionally of one cluster, in one phase, of one kind (FULL or DELTA); {@code limit}
     * 1–1000 (default 100). A token limited to some clusters sees only theirs.
     */
    @GET
    @WithSession
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<SnapshotView>> list(@QueryParam("cluster") String cluster, @QueryParam("phase") String phase,
            @QueryParam("kind") String kind, @QueryParam("limit") String limit) {
        int max = Params.integer("limit", limit, 1, 1000, 100);
        boolean one = cluster != null && !cluster.isBlank();
        if (one) {
            access.require(cluster);
        }
        return SnapshotEntry.search(one ? cluster : null, access.limitedTo(), phase == null || phase.isBlank() ? null : phase(phase),
                kind == null || kind.isBlank() ? null : kind(kind), max)
                .map(entries -> entries.stream().map(SnapshotView::of).toList());
    }

    @GET
    @Path("/{id}")
    @WithSession
    @RolesAllowed(Roles.VIEWER)
    public Uni<SnapshotView> get(@PathParam("id") String id) {
        return SnapshotEntry.<SnapshotEntry>findById(id).map(entry -> {
            if (entry == null || !access.allows(entry.clusterId)) {
                throw new NotFoundException("no snapshot with id '" + id + "'");
            }
            return SnapshotView.of(entry);
        });
    }

    /**
     * The plain content, decrypted and decompressed while it streams: for a full snapshot the etcd snapshot
     * file (db + SHA-256 trailer), ready for {@code etcdctl snapshot restore}; for a delta the delta file
     * (JSON Lines, see snapshot-format's {@code DeltaFile}). Read only as fast as the client takes it
     * ({@link ContentStreams}). Each download is recorded (who, which snapshot) before it starts; 409 unless
     * Completed.
     */
    @GET
    @Path("/{id}/content")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @RolesAllowed(Roles.RESTORER)
    public RestMulti<byte[]> content(@PathParam("id") String id) {
        Uni<SnapshotEntry> downloadable = Panache.withTransaction(() -> SnapshotEntry.<SnapshotEntry>findById(id).chain(entry -> {
            if (entry == null || !access.allows(entry.clusterId)) {
                throw new NotFoundException("no snapshot with id '" + id + "'");
            }
            if (entry.phase != SnapshotPhase.COMPLETED) {
                throw new WebApplicationException("snapshot '" + id + "' is " + entry.phase + ": only Completed snapshots have content",
                        Response.Status.CONFLICT);
            }
            return audit.record(entry.clusterId, "download", "snapshot " + id).replaceWith(entry);
        }));
        return RestMulti.fromUniResponse(downloadable, entry -> contents.chunks(() -> format.reader(store.get(entry.bucket, entry.objectKey),
                Compression.valueOf(entry.compression.toUpperCase(Locale.ROOT)), entry.encryptionKeyId), "snapshot " + id),
                entry -> Map.of("Content-Disposition", List.of("attachment; filename=\"" + id + (entry.kind == SnapshotKind.DELTA ? ".delta" : ".db")
                        + "\"")));
    }

    private static SnapshotKind kind(String kind) {
        try {
            return SnapshotKind.valueOf(kind.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("kind must be FULL or DELTA, not '" + kind + "'");
        }
    }

    private static SnapshotPhase phase(String phase) {
        try {
            return SnapshotPhase.valueOf(phase.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("phase must be one of " + List.of(SnapshotPhase.values()) + ", not '" + phase + "'");
        }
    }
}
