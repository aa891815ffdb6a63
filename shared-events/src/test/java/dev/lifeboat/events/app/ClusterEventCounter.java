package dev.lifeboat.events.app;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.consumer.EventConsumer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Counts, per cluster and event type, how often an event's effect was applied. */
@ApplicationScoped
public class ClusterEventCounter {

    public static final String CHANNEL = "test-cluster-events";

    private final EventConsumer consumer;

    public ClusterEventCounter(EventConsumer consumer) {
        this.consumer = consumer;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onEvent(ConsumerRecord<String, byte[]> record) {
        return consumer.consume("events-test", record, event -> Panache.getSession()
                .chain(session -> session.createNativeQuery("""
                        insert into test_effect (cluster_id, type, applied) values (?1, ?2, 1)
                        on conflict (cluster_id, type) do update set applied = test_effect.applied + 1""")
                        .setParameter(1, event.subject())
                        .setParameter(2, event.type().ceType())
                        .executeUpdate())
                .replaceWithVoid());
    }
}
