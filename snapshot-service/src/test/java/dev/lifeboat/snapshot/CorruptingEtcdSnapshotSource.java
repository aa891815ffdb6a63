package dev.lifeboat.snapshot;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.snapshot.etcd.EtcdSnapshotSource;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

/** The real etcd source, except that it flips one byte in flight for the clusters a test names. */
@Alternative
@Priority(1)
@Singleton
public class CorruptingEtcdSnapshotSource extends EtcdSnapshotSource {

    /** Clusters whose next snapshot streams get one byte flipped at offset 5000. */
    public static final Set<String> CORRUPT = ConcurrentHashMap.newKeySet();

    public CorruptingEtcdSnapshotSource(SnapshotServiceConfig config) {
        super(config);
    }

    @Override
    public Stream open(String clusterId, ClusterSpec spec) {
        Stream real = super.open(clusterId, spec);
        if (!CORRUPT.contains(clusterId)) {
            return real;
        }
        InputStream flipped = new FilterInputStream(real.bytes()) {
            private long position;

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                int n = super.read(bytes, offset, length);
                if (n > 0 && position <= 5000 && position + n > 5000) {
                    bytes[offset + (int) (5000 - position)] ^= 0x20;
                }
                position += Math.max(n, 0);
                return n;
            }
        };
        return new Stream() {
            @Override
            public InputStream bytes() {
                return flipped;
            }

            @Override
            public String endpoint() {
                return real.endpoint();
            }

            @Override
            public String etcdVersion() {
                return real.etcdVersion();
            }

            @Override
            public String etcdClusterId() {
                return real.etcdClusterId();
            }

            @Override
            public dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint fingerprint(long revision) {
                return real.fingerprint(revision);
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }
}
