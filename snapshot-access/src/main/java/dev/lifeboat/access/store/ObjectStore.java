package dev.lifeboat.access.store;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The object store, narrowed to the calls snapshots need. Failures are {@link ObjectStoreException}s
 * whose messages name the bucket and key, never a credential.
 */
public interface ObjectStore {

    /** Stores a small object in one request, with user metadata: it is visible whole or not at all. */
    void put(String bucket, String key, byte[] bytes, int length, Map<String, String> metadata);

    /**
     * Starts a multipart upload of an object with user metadata; returns its id. Nothing is visible until
     * {@link #complete}.
     */
    String startUpload(String bucket, String key, Map<String, String> metadata);

    /** Uploads part {@code number} (1-based); returns its ETag. */
    String uploadPart(String bucket, String key, String uploadId, int number, byte[] bytes, int length);

    /** Makes the object visible from its parts, in order. */
    void complete(String bucket, String key, String uploadId, List<String> etags);

    /** Drops an upload and its parts; nothing becomes visible. Unknown uploads are ignored. */
    void abort(String bucket, String key, String uploadId);

    /** Size of an object, or -1 when it does not exist. */
    long size(String bucket, String key);

    InputStream get(String bucket, String key);

    void delete(String bucket, String key);

    /** An object as a listing shows it. */
    record StoredObject(String key, long size, java.time.Instant lastModified) {
    }

    /** Every object whose key starts with {@code prefix}, in key order. */
    List<StoredObject> list(String bucket, String prefix);

    /**
     * Deletes objects with multi-object delete requests of at most 1000 keys; returns the keys that could
     * not be deleted (a key that does not exist counts as deleted).
     */
    List<String> deleteAll(String bucket, List<String> keys);

    /** Ids of unfinished uploads under a key. */
    List<String> pendingUploads(String bucket, String key);
}
