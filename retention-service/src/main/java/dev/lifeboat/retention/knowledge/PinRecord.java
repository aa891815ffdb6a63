package dev.lifeboat.retention.knowledge;

import java.util.List;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A snapshot a running restore uses; gone when the restore ends. */
@Entity
@Table(name = "pin")
public class PinRecord extends PanacheEntityBase {

    @Id
    @Column(name = "restore_id")
    public String restoreId;

    @Column(name = "snapshot_id", nullable = false)
    public String snapshotId;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    /** The snapshots restores of the cluster hold. */
    public static Uni<List<PinRecord>> ofCluster(String clusterId) {
        return list("clusterId = ?1", clusterId);
    }
}
