package dev.lifeboat.snapshot.stream;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.ObjectStoreException;
import dev.lifeboat.events.SnapshotCompleted;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes the manifest beside a completed object ({@link ObjectLayout#manifest}): the last step of storing a full
 * snapshot or a delta, and the mark that it is complete.
 */
@ApplicationScoped
public class Manifests {

    private final ObjectStore store;

    public Manifests(ObjectStore store) {
        this.store = store;
    }

    /**
     * PUTs the manifest of {@code completed}'s object. When that fails, the object is removed too (a backup without its
     * manifest is not complete) and the failure is thrown, for the caller's retry.
     */
    public void write(SnapshotCompleted completed, String etcdClusterId) {
        byte[] manifest = ObjectLayout.manifest(completed, etcdClusterId);
        try {
            store.put(completed.bucket(), ObjectLayout.manifestOf(completed.objectKey()), manifest, manifest.length, java.util.Map.of());
        } catch (ObjectStoreException e) {
            try {
                store.delete(completed.bucket(), completed.objectKey());
            } catch (ObjectStoreException again) {
                Log.warnf("cannot remove s3://%s/%s, whose manifest could not be written (retention's reconciliation removes it): %s",
                        completed.bucket(), completed.objectKey(), again.getMessage());
            }
            throw e;
        }
    }
}
