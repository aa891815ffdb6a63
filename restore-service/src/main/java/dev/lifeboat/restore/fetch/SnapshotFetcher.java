package dev.lifeboat.restore.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Stream;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.StoredFormat;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.HashTrailer;
import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.etcdsnapshot.SnapshotStatus;
import dev.lifeboat.events.Ids;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.etcd.RestoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Brings a stored snapshot to local disk for a restore, checking everything on the way, under
 * {@code <work-dir>/<restore id>/}:
 * <ol>
 * <li>{@link #download} (VALIDATING): the object exists with its recorded size and its bytes hash to
 * the recorded SHA-256 — a corrupted object is refused before the cluster is touched;</li>
 * <li>{@link #decode} (FETCHING): decrypt, decompress, verify etcd's SHA-256 trailer against the
 * recorded one, open the db with snapshot-format and check it and its exact revision.</li>
 * </ol>
 * Every step can run again (after a crash, or on another instance that lacks the files).
 */
@ApplicationScoped
public class SnapshotFetcher {

    private final ObjectStore store;
    private final StoredFormat format;
    private final Path workDir;

    public SnapshotFetcher(ObjectStore store, StoredFormat format, RestoreServiceConfig config) {
        this.store = store;
        this.format = format;
        this.workDir = Path.of(config.workDir());
    }

    /** Where and how a snapshot is stored, with the facts recorded when it was taken. */
    public record Source(String snapshotId, String bucket, String objectKey, long storedSize, String storedSha256, String rawSha256,
            String compression, String encryptionKeyId, long revision) {
    }

    /** Downloads the stored object and checks its size and checksum. */
    public void download(String restoreId, Source source) {
        download(restoreId, source, stored(restoreId, source));
    }

    private void download(String restoreId, Source source, Path target) {
        long size = store.size(source.bucket(), source.objectKey());
        if (size < 0) {
            throw new RestoreException("snapshot " + source.snapshotId() + ": its object s3://" + source.bucket() + "/" + source.objectKey()
                    + " is missing");
        }
        if (size != source.storedSize()) {
            throw new RestoreException("snapshot " + source.snapshotId() + ": its object is " + size + " bytes, but " + source.storedSize()
                    + " were stored");
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        MessageDigest sha256 = sha256();
        try (InputStream in = new DigestInputStream(store.get(source.bucket(), source.objectKey()), sha256)) {
            Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RestoreException("snapshot " + source.snapshotId() + ": cannot download it to " + part + ": " + e.getMessage(), e);
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (source.storedSha256() != null && !source.storedSha256().equalsIgnoreCase(actual)) {
            throw new RestoreException("snapshot " + source.snapshotId() + ": its object is corrupted (SHA-256 " + actual
                    + ", stored as " + source.storedSha256() + ")");
        }
        move(part, target);
    }

    /** Decodes the downloaded object into the plain etcd snapshot and verifies it; returns the db file. */
    public Path decode(String restoreId, Source source) {
        if (!Files.isRegularFile(stored(restoreId, source))) {
            download(restoreId, source);
        }
        Path part = dir(restoreId).resolve("snapshot.db.part");
        Compression compression = compression(source);
        HashTrailer.Verified verified;
        try (HashTrailer.VerifyingInputStream in = new HashTrailer.VerifyingInputStream(
                format.reader(Files.newInputStream(stored(restoreId, source)), compression, source.encryptionKeyId()));
                OutputStream out = Files.newOutputStream(part)) {
            in.transferTo(out);
            verified = in.verified();
        } catch (SnapshotFormatException e) {
            throw new RestoreException("snapshot " + source.snapshotId() + " is not intact: " + e.getMessage(), e);
        } catch (IOException e) {
            String how = source.encryptionKeyId() == null ? "decompress" : "decrypt (key '" + source.encryptionKeyId() + "') and decompress";
            throw new RestoreException("snapshot " + source.snapshotId() + ": cannot " + how + " it: " + e.getMessage()
                    + (source.encryptionKeyId() == null ? "" : " — a wrong key gives this error too"), e);
        }
        if (!verified.sha256().equalsIgnoreCase(source.rawSha256())) {
            throw new RestoreException("snapshot " + source.snapshotId() + ": its etcd hash is " + verified.sha256() + ", but "
                    + source.rawSha256() + " was recorded when it was taken");
        }
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(part)) {
            SnapshotStatus status = snapshot.verify();
            long revision = snapshot.storeRevision(status);
            if (revision != source.revision() && status.revision() != source.revision()) {
                throw new RestoreException("snapshot " + source.snapshotId() + " holds revision " + revision + ", but revision "
                        + source.revision() + " was recorded");
            }
        } catch (SnapshotFormatException e) {
            throw new RestoreException("snapshot " + source.snapshotId() + " is not a readable etcd snapshot: " + e.getMessage(), e);
        }
        move(part, db(restoreId));
        return db(restoreId);
    }

    /** The decoded snapshot, decoding it again when this instance does not have it. */
    public Path ensureDecoded(String restoreId, Source source) {
        return Files.isRegularFile(db(restoreId)) ? db(restoreId) : decode(restoreId, source);
    }

    /**
     * Downloads and decodes a delta (decrypt, decompress), checks the SHA-256 of the plain file against
     * the one recorded when it was stored and reads it through (header, no hole, a trailer that matches);
     * returns what it holds. Its file is {@link #deltaFile}.
     */
    public DeltaFile.Summary decodeDelta(String restoreId, Source source) {
        Path stored = stored(restoreId, source);
        if (!Files.isRegularFile(stored)) {
            download(restoreId, source, stored);
        }
        Path plain = deltaFile(restoreId, source.snapshotId());
        Path part = plain.resolveSibling(plain.getFileName() + ".part");
        MessageDigest sha256 = sha256();
        try (InputStream in = new DigestInputStream(format.reader(Files.newInputStream(stored), compression(source), source.encryptionKeyId()),
                sha256)) {
            Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            String how = source.encryptionKeyId() == null ? "decompress" : "decrypt (key '" + source.encryptionKeyId() + "') and decompress";
            throw new RestoreException("delta " + source.snapshotId() + ": cannot " + how + " it: " + e.getMessage()
                    + (source.encryptionKeyId() == null ? "" : " — a wrong key gives this error too"), e);
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equalsIgnoreCase(source.rawSha256())) {
            throw new RestoreException("delta " + source.snapshotId() + " is not intact: its SHA-256 is " + actual + ", but " + source.rawSha256()
                    + " was recorded when it was stored");
        }
        DeltaFile.Summary summary;
        try {
            summary = DeltaFile.verify(part);
        } catch (SnapshotFormatException | IOException e) {
            throw new RestoreException("delta " + source.snapshotId() + " is not a readable Lifeboat delta: " + e.getMessage(), e);
        }
        if (summary.lastRevision() != source.revision()) {
            throw new RestoreException("delta " + source.snapshotId() + " ends at revision " + summary.lastRevision() + ", but revision "
                    + source.revision() + " was recorded");
        }
        move(part, plain);
        return summary;
    }

    /** The plain file of a decoded delta. */
    public Path deltaFile(String restoreId, String deltaId) {
        return Ids.under(dir(restoreId), "", deltaId, ".delta");
    }

    private static Compression compression(Source source) {
        try {
            return Compression.valueOf(source.compression().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RestoreException("snapshot " + source.snapshotId() + " is stored with unknown compression '" + source.compression() + "'");
        }
    }

    /** Removes the restore's files. */
    public void cleanUp(String restoreId) {
        Path dir = restoreDir(restoreId);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    /** The restore's own folder under the work dir: an id that is not one never names another path (see {@link Ids#under}). */
    private Path restoreDir(String restoreId) {
        return Ids.under(workDir, "", restoreId, "");
    }

    private Path dir(String restoreId) {
        Path dir = restoreDir(restoreId);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RestoreException("cannot create the work directory " + dir + " (lifeboat.restore.work-dir): " + e.getMessage(), e);
        }
    }

    private Path stored(String restoreId, Source source) {
        return Ids.under(dir(restoreId), "", source.snapshotId(), ".stored");
    }

    private Path db(String restoreId) {
        return restoreDir(restoreId).resolve("snapshot.db");
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
