package dev.lifeboat.events.consumer;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.MalformedEventException;
import dev.lifeboat.events.ReceivedEvent;
import dev.lifeboat.events.work.Failures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The idempotent consumer. Every incoming channel hands its records here:
 * <ol>
 * <li>the record is decoded; a malformed one (not JSON, an unknown type, a missing field) fails the returned
 * {@link Uni} at once, so the channel's dead-letter strategy sends it to the service's dead-letter topic with
 * the reason: it can never be processed;</li>
 * <li>the event id is recorded for this consumer and the handler's effect applied in <em>one</em>
 * transaction; an id recorded before means a redelivery, and nothing happens.</li>
 * </ol>
 * The handler runs inside that transaction: its database writes and the events it emits through the
 * outbox commit with the record of the event it handled, or not at all.
 *
 * <p>Any other failure — PostgreSQL or another dependency unreachable, a conflict — is not the record's
 * fault, and a record is never dead-lettered for it: dead-lettering a SnapshotCompleted would make
 * retention treat its object as an orphan. The record is tried again with back-off (0.2 s doubling up to
 * 10 s, so it is applied within about 10 s of the end of an outage) until it succeeds. Its channel waits
 * meanwhile (records of a partition stay in order), and the wait shows: a warning each time, {@code lifeboat_events_consumer_retries_total{consumer}} and
 * {@code lifeboat_events_consumer_stalled_seconds{consumer,partition}}, and the readiness check
 * ({@link ConsumersHealth}) once a consumer has waited longer than {@link #STALLED_AFTER}.
 */
@ApplicationScoped
public class EventConsumer {

    /**
     * A service's one incoming channel: every topic it follows through one Kafka consumer
     * ({@code mp.messaging.incoming.events.topics}), its handler choosing by the record's topic. A consumer per
     * topic polled, heartbeated and committed on its own threads, idle or not (README, "Benchmarks").
     */
    public static final String CHANNEL = "events";

    /** After this long on one record a consumer reports itself not ready. */
    public static final Duration STALLED_AFTER = Duration.ofSeconds(10);
    private static final Duration RETRY_FIRST_PAUSE = Duration.ofMillis(200);
    /**
     * The longest pause between two attempts, and so the longest a record waits after PostgreSQL is back. One
     * attempt per stalled partition every 10 s costs next to nothing; with 30 s a record could wait half a
     * minute after the database was back.
     */
    private static final Duration RETRY_LONGEST_PAUSE = Duration.ofSeconds(10);
    private static final String RECORD_PROCESSED = """
            insert into processed_event (consumer, event_id, type, processed_at) values (?1, ?2, ?3, now())
            on conflict do nothing""";

    /** Consumers waiting on a record, by consumer and partition ({@code consumer@topic-partition}): since when, and why. */
    private final Map<String, Stall> stalled = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    /** A consumer waiting for a record it could not process yet. */
    public record Stall(Instant since, String reason) {
    }

    public EventConsumer(MeterRegistry registry) {
        this.registry = registry;
    }

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
        return untilDone(consumer, record, event.type().ceType() + " " + event.id(), () -> Panache.withTransaction(() -> Panache.getSession()
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
                })));
    }

    /**
     * Runs {@code attempt} for one record until it succeeds: a failure other than {@link MalformedEventException} is
     * tried again with back-off (0.2 s doubling up to 10 s), and the wait shows as described above (warning, retries
     * counter, stalled gauge, readiness). {@link #consume} applies it to the idempotent transaction; a projection that
     * reads the same records without the processed-event record (the scheduler's timeline) applies it to its own write.
     *
     * @param what names the record in the warning, e.g. its type and event id
     */
    public Uni<Void> untilDone(String consumer, ConsumerRecord<?, ?> record, String what, Supplier<Uni<? extends Void>> attempt) {
        return Uni.createFrom().<Void>deferred(attempt)
                .onFailure(failure -> !(failure instanceof MalformedEventException)).invoke(failure -> waiting(consumer, record, what, failure))
                .onFailure(failure -> !(failure instanceof MalformedEventException)).retry()
                .withBackOff(RETRY_FIRST_PAUSE, RETRY_LONGEST_PAUSE).indefinitely()
                .invoke(() -> done(stallKey(consumer, record)));
    }

    /**
     * A record of a topic none of the service's handlers follows: its {@code topics} list and its handlers
     * disagree. The record is skipped with a warning naming the topic: it was not meant for this service.
     */
    public static Uni<Void> notFollowed(String consumer, ConsumerRecord<?, ?> record) {
        Log.warnf("%s: no handler for topic %s (record %s-%d@%d skipped); check mp.messaging.incoming.%s.topics", consumer, record.topic(),
                record.topic(), record.partition(), record.offset(), CHANNEL);
        return Uni.createFrom().voidItem();
    }

    /** The consumers waiting on a record now, by {@code consumer@topic-partition}: one partition's wait is not hidden by another's progress. */
    public Map<String, Stall> stalled() {
        return Map.copyOf(stalled);
    }

    private void waiting(String consumer, ConsumerRecord<?, ?> record, String what, Throwable failure) {
        String reason = Failures.reason(failure, java.util.List.of());
        Instant now = Instant.now();
        String key = stallKey(consumer, record);
        Stall stall = stalled.compute(key, (name, old) -> new Stall(old == null ? now : old.since(), reason));
        Gauge.builder("lifeboat.events.consumer.stalled.seconds", stalled, all -> {
            Stall current = all.get(key);
            return current == null ? 0 : Duration.between(current.since(), Instant.now()).toMillis() / 1000.0;
        }).tags("consumer", consumer, "partition", record.topic() + "-" + record.partition())
                .description("How long the consumer has been waiting to process one record of the partition (0: not waiting)").register(registry);
        registry.counter("lifeboat.events.consumer.retries", "consumer", consumer).increment();
        Log.warnf("%s: %s at %s-%d@%d could not be processed (waiting %d s, tried again with back-off, never dead-lettered): %s", consumer,
                what, record.topic(), record.partition(), record.offset(),
                Duration.between(stall.since(), Instant.now()).toSeconds(), reason);
    }

    private void done(String key) {
        Stall stall = stalled.remove(key);
        if (stall != null) {
            Log.infof("%s: processing again after waiting %d s", key, Duration.between(stall.since(), Instant.now()).toSeconds());
        }
    }

    private static String stallKey(String consumer, ConsumerRecord<?, ?> record) {
        return consumer + "@" + record.topic() + "-" + record.partition();
    }
}
