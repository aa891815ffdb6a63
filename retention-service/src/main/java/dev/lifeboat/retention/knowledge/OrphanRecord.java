package dev.lifeboat.retention.knowledge;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** An object under a cluster's prefix that no catalog knows, and since when it has been seen. */
@Entity
@Table(name = "orphan")
@IdClass(OrphanRecord.Key.class)
public class OrphanRecord extends PanacheEntityBase {

    @Id
    public String bucket;

    @Id
    @Column(name = "object_key")
    public String objectKey;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Column(nullable = false)
    public long size;

    @Column(name = "first_seen", nullable = false)
    public Instant firstSeen;

    /** Composite key. */
    public static class Key implements Serializable {
        public String bucket;
        public String objectKey;

        public Key() {
        }

        public Key(String bucket, String objectKey) {
            this.bucket = bucket;
            this.objectKey = objectKey;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && java.util.Objects.equals(bucket, key.bucket) && java.util.Objects.equals(objectKey, key.objectKey);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(bucket, objectKey);
        }
    }

    /** The cluster's orphans, by key. */
    public static Uni<List<OrphanRecord>> ofCluster(String clusterId) {
        return list("clusterId = ?1 order by objectKey", clusterId);
    }

    /** Forgets the orphans of {@code bucket} at {@code keys} (deleted, gone, or claimed by a snapshot). */
    public static Uni<Long> forget(String bucket, List<String> keys) {
        return keys.isEmpty() ? Uni.createFrom().item(0L) : delete("bucket = ?1 and objectKey in ?2", bucket, keys);
    }
}
