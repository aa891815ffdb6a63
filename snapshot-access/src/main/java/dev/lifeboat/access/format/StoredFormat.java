package dev.lifeboat.access.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * How a snapshot is stored: the plain etcd snapshot file (db + SHA-256 trailer), compressed (zstd
 * frame or gzip member), then encrypted (Tink streaming AEAD, see {@link KeyRing}). Each layer is a
 * standard format, so {@code zstd -d}/{@code gunzip} and the CLI's decrypt undo them one by one.
 */
@ApplicationScoped
public class StoredFormat {

    private final KeyRing keys;

    public StoredFormat(KeyRing keys) {
        this.keys = keys;
    }

    /** The stream plain snapshot bytes are written to, ending in {@code stored}. */
    public OutputStream writer(OutputStream stored, Compression compression, int zstdLevel, int zstdWorkers, String keyId) throws IOException {
        OutputStream out = keyId == null ? stored : keys.encrypt(keyId, stored);
        return switch (compression) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, 1 << 16);
            case ZSTD -> new ZstdOutputStream(out, zstdLevel).setWorkers(zstdWorkers);
        };
    }

    /** The plain snapshot bytes of a stored object. */
    public InputStream reader(InputStream stored, Compression compression, String keyId) throws IOException {
        InputStream in = keyId == null ? stored : keys.decrypt(keyId, stored);
        return switch (compression) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> new ZstdInputStream(in);
        };
    }

    /** The object name suffix of a full snapshot: {@code .db[.zst|.gz][.enc]}. */
    public static String suffix(Compression compression, String keyId) {
        return ".db" + layers(compression, keyId);
    }

    /** The object name suffix of a delta: {@code .delta[.zst|.gz][.enc]}. */
    public static String deltaSuffix(Compression compression, String keyId) {
        return ".delta" + layers(compression, keyId);
    }

    private static String layers(Compression compression, String keyId) {
        return compression.suffix() + (keyId == null ? "" : ".enc");
    }
}
