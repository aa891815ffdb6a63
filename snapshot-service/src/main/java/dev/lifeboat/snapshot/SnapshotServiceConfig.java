package dev.lifeboat.snapshot;

import java.time.Duration;

import dev.lifeboat.access.format.Compression;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * What snapshot-service can be told, under {@code lifeboat}; the object store ({@code lifeboat.s3}) and
 * encryption ({@code lifeboat.encryption}) are configured as in every service, see snapshot-access.
 */
@ConfigMapping(prefix = "lifeboat")
public interface SnapshotServiceConfig {

    /** How snapshots are taken and stored. */
    Snapshots snapshots();

    /** Serving the plain content of snapshots ({@code GET /api/v1/snapshots/{id}/content}). */
    Content content();

    interface Content {

        /**
         * Bytes read and sent at a time (4 KiB–16 MiB). The next chunk is read only after the previous one was
         * written to the connection, so a download holds about two chunks, whatever the client and however well
         * the snapshot compresses.
         */
        @WithDefault("262144")
        int chunkSize();
    }

    /** Delta capture of clusters with a DELTA policy (compression and encryption as for snapshots). */
    Capture capture();

    interface Capture {

        /**
         * How often the capture compares what it watches with the policies, pauses and partition assignment when
         * nothing woke it: a processed cluster or snapshot event and a partition assignment wake it at once, so this
         * is the fallback for what nobody announces (a watcher that gave up, a base request whose delay ran out).
         */
        @WithDefault("10s")
        Duration checkInterval();

        /**
         * After a pause (a restore) a new chain needs a full snapshot taken since; the restore asks for one, so
         * the capture waits this long before asking itself. On a first start and after a gap it asks at once.
         */
        @WithDefault("10s")
        Duration baseRequestDelay();

        /** A requested base full snapshot that did not come within this time is asked for again. */
        @WithDefault("5m")
        Duration baseRetry();

        /** Part size of a delta too large for one PUT (S3's minimum part is 5 MiB); also the delta's buffer. */
        @WithDefault("5242880")
        int partSize();

        /** Longest pause between attempts while etcd or S3 is unreachable. */
        @WithDefault("30s")
        Duration maxBackoff();

        /**
         * HTTP/2 flow-control window of a watch: how far etcd may send ahead of the capture. Small, because it
         * is memory per watched cluster; etcd keeps what the window holds back in its own store.
         */
        @WithDefault("1048576")
        int flowControlWindow();

        /** How long a stopping capture may take to write out what it buffered. */
        @WithDefault("30s")
        Duration stopTimeout();

        /**
         * A stored delta gets the source member's keyspace fingerprint at its last revision (etcd {@code HashKV} and the key
         * count) when the last fingerprint of the capture was taken at least this long ago: the points a point-in-time
         * restore drill can check. HashKV reads the member's whole keyspace (about 1 s per GB here), so it is not taken for
         * every delta of a busy cluster; 0s takes one for every delta.
         */
        @WithDefault("5m")
        Duration fingerprintEvery();
    }

    interface Snapshots {

        /** Key prefix used when a cluster names none: objects go to {@code <prefix>/<cluster>/full/...}. */
        @WithDefault("lifeboat")
        String prefix();

        /** Compression of stored snapshots: ZSTD, GZIP or NONE. */
        @WithDefault("ZSTD")
        Compression compression();

        /**
         * zstd level (1 fast … 19 small). 1: on Kubernetes-like values it compressed in half the CPU time of level 3 and
         * stored no more (README, "Benchmark"); a snapshot is CPU-bound on a small control-plane node.
         */
        @WithDefault("1")
        int zstdLevel();

        /** zstd compression threads besides the stream's own (0: compress on the stream's thread). */
        @WithDefault("2")
        int zstdWorkers();

        /** Size of one multipart upload part; memory in use is about part size × (parts in flight + 1). */
        @WithDefault("8388608")
        int partSize();

        /** Parts uploading at once per snapshot. */
        @WithDefault("2")
        int partsInFlight();

        /** Snapshots (of different clusters) taken at once by this instance. */
        @WithDefault("4")
        int maxConcurrent();

        /**
         * HTTP/2 flow-control window of the etcd stream; larger windows stream faster over latency, and are
         * what the transport buffers when S3 is the slower side (8 MiB: as fast as 16 here, 8–15 MB less RSS).
         */
        @WithDefault("8388608")
        int flowControlWindow();

        /** Longest a snapshot may take before it is aborted and failed. */
        @WithDefault("30m")
        Duration timeout();

        /** How long a running snapshot's claim lasts without a heartbeat before another instance takes it over. */
        @WithDefault("60s")
        Duration claimDuration();

        /**
         * How long a snapshot whose etcd or S3 could not be reached is tried again, with back-off (1 s doubling to
         * 30 s), before it fails: a short outage delays a backup instead of losing it.
         */
        @WithDefault("5m")
        Duration retryFor();

        /**
         * How often idle workers look for work nobody woke them for: a claim lapsed by an instance that stopped,
         * a request whose cluster stayed unknown past {@code unknown-cluster-grace}. New requests wake them at once.
         */
        @WithDefault("10s")
        Duration pollInterval();

        /** How long a request for a cluster this service has not heard of waits for its registration. */
        @WithDefault("60s")
        Duration unknownClusterGrace();
    }
}
