package dev.lifeboat.events.consumer;

import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.MalformedEventException;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.ReceivedEvent;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The idempotent consumer. Every incoming channel hands its records here:
 * <ol>
 * <li>the record is decoded; a malformed one fails the returned {@link Uni}, so the channel's
 * dead-letter strategy sends it to the service's dead-letter topic with the reason;</li>
 * <li>the event id is recorded for this consumer and the handler's effect applied in <em>one</em>
 * transaction; an id recorded before means a redelivery, and nothing happens.</li>
 * </ol>
 * The handler runs inside that transaction: its database writes and the events it emits through the
 * outbox commit with the record of the event it handled, or not at all. A failure that is not the
 * record's fault (the database unreachable, a conflict) is retried with backoff, five times, before the
 * record is dead-lettered with the reason.
 */
@ApplicationScoped
public class EventConsumer {

    private static final int RETRIES = 5;
    private static final java.time.Duration RETRY_FIRST_PAUSE = java.time.Duration.ofMillis(200);
    private static final java.time.Duration RETRY_LONGEST_PAUSE = java.time.Duration.ofSeconds(5);
    private static final String RECORD_PROCESSED = """
            insert into processed_event (consumer, event_id, type, processed_at) values (?1, ?2, ?3, now())
            on conflict do nothing""";

    public Uni<Void> consume(String consumer, ConsumerRecord<?, byte[]> record,
            Function<ReceivedEvent<LifeboatEvent>, Uni<Void>> handler) {
        ReceivedEvent<LifeboatEvent> event;
        try {
            event = EventCodec.decode(record);
        } catch (RuntimeException e) {
            Log.warnf("%s: malformed record at %s-%d@%d goes to the dead-letter topic: %s", consumer, record.topic(),
                    record.partition(), record.offset(), e.getMessage());
            return Uni.createFrom().failure(e);
        }
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(RECORD_PROCESSED)
                        .setParameter(1, consumer)
                        .setParameter(2, event.id())
                        .setParameter(3, event.type().ceType())
                        .executeUpdate())
                .chain(inserted -> {
                    if (inserted == 0) {
                        Log.debugf("%s: event %s was processed before; skipped", consumer, event.id());
                        return Uni.createFrom().voidItem();
                    }
                    return handler.apply(event);
                }))
                // A database hiccup is not the event's fault: try again before it goes to the dead-letter topic.
                .onFailure(failure -> !(failure instanceof MalformedEventException)).retry()
                .withBackOff(RETRY_FIRST_PAUSE, RETRY_LONGEST_PAUSE).atMost(RETRIES);
    }
}
