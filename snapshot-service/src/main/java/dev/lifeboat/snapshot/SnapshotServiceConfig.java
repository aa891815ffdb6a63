package dev.lifeboat.snapshot;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Everything snapshot-service can be told, under {@code lifeboat}. */
@ConfigMapping(prefix = "lifeboat")
public interface SnapshotServiceConfig {

    /** The S3-compatible object store. */
    S3 s3();

    /** How snapshots are taken and stored. */
    Snapshots snapshots();

    /** Encryption at rest. */
    Encryption encryption();

    interface S3 {

        /** S3 endpoint URL, e.g. {@code https://s3.eu-central-1.amazonaws.com}. */
        String endpoint();

        /** Region of the bucket. */
        @WithDefault("us-east-1")
        String region();

        /** Access key id. */
        String accessKey();

        /** Secret access key; never logged. */
        String secretKey();

        /** Bucket used when a cluster names none. */
        @WithDefault("lifeboat")
        String bucket();
    }

    interface Snapshots {

        /** Key prefix used when a cluster names none: objects go to {@code <prefix>/<cluster>/full/...}. */
        @WithDefault("lifeboat")
        String prefix();

        /** Compression of stored snapshots: ZSTD, GZIP or NONE. */
        @WithDefault("ZSTD")
        Compression compression();

        /** zstd level (1 fast … 19 small). */
        @WithDefault("3")
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

        /** HTTP/2 flow-control window of the etcd stream; larger windows stream faster over latency. */
        @WithDefault("16777216")
        int flowControlWindow();

        /** Longest a snapshot may take before it is aborted and failed. */
        @WithDefault("30m")
        Duration timeout();

        /** How long a running snapshot's claim lasts without a heartbeat before another instance takes it over. */
        @WithDefault("60s")
        Duration claimDuration();

        /** How often idle workers look for pending requests. */
        @WithDefault("500ms")
        Duration pollInterval();

        /** How long a request for a cluster this service has not heard of waits for its registration. */
        @WithDefault("60s")
        Duration unknownClusterGrace();
    }

    interface Encryption {

        /** The key that encrypts new snapshots; absent: stored in the clear. */
        Optional<String> activeKey();

        /** Keys by id; old ones stay so that old snapshots remain readable after a rotation. */
        Map<String, Key> keys();

        interface Key {

            /** A file holding the 32-byte key, base64-encoded. */
            Optional<String> file();

            /** An environment variable holding the 32-byte key, base64-encoded. */
            Optional<String> env();
        }
    }

    /** Compression of stored snapshots. */
    enum Compression {
        NONE(""), ZSTD(".zst"), GZIP(".gz");

        private final String suffix;

        Compression(String suffix) {
            this.suffix = suffix;
        }

        public String suffix() {
            return suffix;
        }
    }
}
