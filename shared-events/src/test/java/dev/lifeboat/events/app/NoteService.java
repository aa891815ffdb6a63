package dev.lifeboat.events.app;

import java.util.List;

import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.ClusterUpdated;
import dev.lifeboat.events.outbox.Outbox;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** A state change with the event announcing it, as every service makes them. */
@ApplicationScoped
public class NoteService {

    private final Outbox outbox;

    public NoteService(Outbox outbox) {
        this.outbox = outbox;
    }

    /**
     * Stores a note for the cluster and emits {@link ClusterRegistered}, in one transaction; with
     * {@code failAfterEmit} the transaction fails after both writes.
     */
    public Uni<Void> register(String clusterId, boolean failAfterEmit) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery("insert into test_note (cluster_id) values (?1)")
                        .setParameter(1, clusterId).executeUpdate())
                .chain(() -> outbox.emit(new ClusterRegistered(clusterId, spec())))
                .chain(() -> failAfterEmit
                        ? Uni.createFrom().failure(new IllegalStateException("forced failure inside the transaction"))
                        : Uni.createFrom().voidItem()));
    }

    public Uni<Void> update(String clusterId) {
        return Panache.withTransaction(() -> outbox.emit(new ClusterUpdated(clusterId, spec())).replaceWithVoid());
    }

    private static ClusterSpec spec() {
        return new ClusterSpec("test", List.of("http://127.0.0.1:2379"), null, null, null, List.of(), false, false);
    }
}
