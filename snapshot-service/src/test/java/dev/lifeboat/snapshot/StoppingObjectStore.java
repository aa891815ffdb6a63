package dev.lifeboat.snapshot;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.lifeboat.events.Topics;
import dev.lifeboat.access.store.MinioObjectStore;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.stack.LocalStack;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

/** The real object store, except that it stops the local S3 server when part 2 of a named cluster's upload starts. */
@Alternative
@Priority(1)
@Singleton
public class StoppingObjectStore extends MinioObjectStore {

    /** Clusters whose next upload loses S3 at its second part. */
    public static final Set<String> STOP_AT_PART_2 = ConcurrentHashMap.newKeySet();
    /** Of those, clusters whose upload loses S3 only once: the cluster leaves {@link #STOP_AT_PART_2} when it happens. */
    public static final Set<String> ONCE = ConcurrentHashMap.newKeySet();

    public StoppingObjectStore(S3Config config) {
        super(config);
    }

    @Override
    public String uploadPart(String bucket, String key, String uploadId, int number, byte[] bytes, int length) {
        for (String cluster : STOP_AT_PART_2) {
            if (number == 2 && key.contains("/" + cluster + "/")) {
                LocalStack.shared(Topics.all()).s3().stop();
                if (ONCE.remove(cluster)) {
                    STOP_AT_PART_2.remove(cluster);
                }
            }
        }
        return super.uploadPart(bucket, key, uploadId, number, bytes, length);
    }
}
