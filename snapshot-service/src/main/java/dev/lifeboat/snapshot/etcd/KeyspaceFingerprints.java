package dev.lifeboat.snapshot.etcd;

import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;

import dev.lifeboat.access.etcd.EtcdChannels;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.StatusRuntimeException;

/**
 * A member's keyspace fingerprint at one revision — etcd {@code HashKV} and the live key count — as a full snapshot records
 * it right after the snapshot and delta capture at the end of each delta: what restore drills compare against. It must be
 * asked while the revision is not yet compacted away.
 */
public final class KeyspaceFingerprints {

    /** HashKV reads the whole keyspace; etcd answers about 1 GB/s of db here, so a minute covers the 8 GB limit. */
    private static final long TIMEOUT_SECONDS = 60;
    private static final ByteString ALL_KEYS = ByteString.copyFrom(new byte[] {0});

    private KeyspaceFingerprints() {
    }

    /** The fingerprint at {@code revision}; fails with {@link EtcdUnavailableException} naming etcd's reason. */
    public static KeyspaceFingerprint at(String endpoint, MaintenanceGrpc.MaintenanceBlockingStub maintenance, KVGrpc.KVBlockingStub kv,
            long revision) {
        try {
            HashKVResponse hash = maintenance.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .hashKV(HashKVRequest.newBuilder().setRevision(revision).build());
            long keys = kv.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).range(RangeRequest.newBuilder().setKey(ALL_KEYS)
                    .setRangeEnd(ALL_KEYS).setRevision(revision).setCountOnly(true).build()).getCount();
            // etcd says -1 for a keyspace never compacted; 0 here, as the drill reads it
            return new KeyspaceFingerprint(Integer.toUnsignedLong(hash.getHash()), Math.max(0, hash.getCompactRevision()), keys);
        } catch (StatusRuntimeException e) {
            throw new EtcdUnavailableException("etcd at " + endpoint + " gave no keyspace hash at revision " + revision + ": "
                    + EtcdChannels.describe(e), e);
        }
    }
}
