package dev.lifeboat.snapshot.api;

import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Locale;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.snapshot.catalog.SnapshotEntry;
import dev.lifeboat.snapshot.catalog.SnapshotPhase;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.format.StoredFormat;
import io.agroal.api.AgroalDataSource;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DefaultValue;
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

/** The snapshot catalog over REST, and the plain content of a snapshot. */
@Path("/api/v1/snapshots")
@Produces(MediaType.APPLICATION_JSON)
public class SnapshotResource {

    private final ObjectStore store;
    private final StoredFormat format;
    private final AgroalDataSource db;
    private final ContentStreams contents;

    public SnapshotResource(ObjectStore store, StoredFormat format, AgroalDataSource db, ContentStreams contents) {
        this.store = store;
        this.format = format;
        this.db = db;
        this.contents = contents;
    }

    /** Snapshots, newest first, optionally of one cluster, in one phase, of one kind (FULL or DELTA). */
    @GET
    @WithSession
    public Uni<List<SnapshotView>> list(@QueryParam("cluster") String cluster, @QueryParam("phase") String phase,
            @QueryParam("kind") String kind, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new BadRequestException("limit must be between 1 and 1000, not " + limit);
        }
        StringBuilder query = new StringBuilder("1 = 1");
        Parameters parameters = new Parameters();
        if (cluster != null && !cluster.isBlank()) {
            query.append(" and clusterId = :cluster");
            parameters.and("cluster", cluster);
        }
        if (phase != null && !phase.isBlank()) {
            query.append(" and phase = :phase");
            parameters.and("phase", phase(phase));
        }
        if (kind != null && !kind.isBlank()) {
            query.append(" and kind = :kind");
            parameters.and("kind", kind(kind));
        }
        return SnapshotEntry.<SnapshotEntry>find(query.toString(), Sort.descending("requestedAt"), parameters)
                .page(0, limit).list().map(entries -> entries.stream().map(SnapshotView::of).toList());
    }

    @GET
    @Path("/{id}")
    @WithSession
    public Uni<SnapshotView> get(@PathParam("id") String id) {
        return SnapshotEntry.<SnapshotEntry>findById(id).map(entry -> {
            if (entry == null) {
                throw new NotFoundException("no snapshot with id '" + id + "'");
            }
            return SnapshotView.of(entry);
        });
    }

    /**
     * The plain content, decrypted and decompressed while it streams: for a full snapshot the etcd snapshot
     * file (db + SHA-256 trailer), ready for {@code etcdctl snapshot restore}; for a delta the delta file
     * (JSON Lines, see snapshot-format's {@code DeltaFile}). Read only as fast as the client takes it
     * ({@link ContentStreams}).
     */
    @GET
    @Path("/{id}/content")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Blocking
    public RestMulti<byte[]> content(@PathParam("id") String id) throws Exception {
        String[] stored = storedObject(id);
        String bucket = stored[0];
        String key = stored[1];
        Compression compression = Compression.valueOf(stored[2].toUpperCase(Locale.ROOT));
        String keyId = stored[3];
        String suffix = "DELTA".equals(stored[4]) ? ".delta" : ".db";
        InputStream plain = format.reader(store.get(bucket, key), compression, keyId);
        return RestMulti.fromMultiData(contents.chunks(plain, "snapshot " + id))
                .header("Content-Disposition", "attachment; filename=\"" + id + suffix + "\"").build();
    }

    private String[] storedObject(String id) throws Exception {
        try (Connection connection = db.getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "select phase, bucket, object_key, compression, encryption_key_id, kind from snapshot where id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    throw new NotFoundException("no snapshot with id '" + id + "'");
                }
                if (!SnapshotPhase.COMPLETED.name().equals(row.getString("phase"))) {
                    throw new WebApplicationException("snapshot '" + id + "' is " + row.getString("phase")
                            + ": only Completed snapshots have content", Response.Status.CONFLICT);
                }
                return new String[] {row.getString("bucket"), row.getString("object_key"), row.getString("compression"),
                        row.getString("encryption_key_id"), row.getString("kind")};
            }
        }
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
