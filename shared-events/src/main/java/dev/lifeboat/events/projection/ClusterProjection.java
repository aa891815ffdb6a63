package dev.lifeboat.events.projection;

import java.time.Instant;

import dev.lifeboat.events.ClusterDeleted;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.ClusterUpdated;
import dev.lifeboat.events.EventCodec;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Id;
import jakarta.persistence.MappedSuperclass;

/**
 * A service's own copy of the clusters the scheduler announced (ClusterRegistered/Updated/Deleted):
 * connection facts as JSON of {@link ClusterSpec}, credentials only as references. Each service maps
 * it to a {@code cluster} table in its own schema with an entity extending this class.
 */
@MappedSuperclass
public abstract class ClusterProjection extends PanacheEntityBase {

    @Id
    public String id;

    @Column(nullable = false)
    public String spec;

    @Column(nullable = false)
    public boolean deleted;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public ClusterSpec spec() {
        try {
            return EventCodec.json().readValue(spec, ClusterSpec.class);
        } catch (Exception e) {
            throw new IllegalStateException("the stored facts of cluster '" + id + "' are unreadable");
        }
    }

    /**
     * Applies a cluster event to the projection {@code type} inside the current transaction; other
     * events change nothing.
     */
    public static <T extends ClusterProjection> Uni<Void> apply(Object event, Class<T> type, java.util.function.Supplier<T> create) {
        if (event instanceof ClusterRegistered registered) {
            return save(registered.clusterId(), registered.spec(), type, create);
        }
        if (event instanceof ClusterUpdated updated) {
            return save(updated.clusterId(), updated.spec(), type, create);
        }
        if (event instanceof ClusterDeleted deleted) {
            return Panache.getSession().chain(session -> session.find(type, deleted.clusterId())).invoke(cluster -> {
                if (cluster != null) {
                    cluster.deleted = true;
                    cluster.updatedAt = Instant.now();
                }
            }).replaceWithVoid();
        }
        return Uni.createFrom().voidItem();
    }

    private static <T extends ClusterProjection> Uni<Void> save(String id, ClusterSpec spec, Class<T> type, java.util.function.Supplier<T> create) {
        String json;
        try {
            json = EventCodec.json().writeValueAsString(spec);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        return Panache.getSession().chain(session -> session.find(type, id).chain(existing -> {
            T cluster = existing != null ? existing : create.get();
            cluster.id = id;
            cluster.spec = json;
            cluster.deleted = false;
            cluster.updatedAt = Instant.now();
            return existing != null ? Uni.createFrom().voidItem() : session.persist(cluster);
        }));
    }
}
