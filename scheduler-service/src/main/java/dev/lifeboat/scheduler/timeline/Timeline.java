package dev.lifeboat.scheduler.timeline;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.MalformedEventException;
import dev.lifeboat.events.ReceivedEvent;
import dev.lifeboat.events.consumer.EventConsumer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The timeline: a projection of every Lifeboat topic into one table, so that an SRE sees what happened
 * to a cluster, in order, across services. Idempotent by event id: a redelivered event is stored once.
 */
@ApplicationScoped
public class Timeline {

    /** The name its waits are reported under (warning, {@code lifeboat_events_consumer_stalled_seconds}, readiness). */
    static final String CONSUMER = "scheduler-timeline";
    private static final String INSERT = """
            insert into timeline_event (event_id, cluster_id, type, source, occurred_at, trace_id, summary, topic, kafka_partition, kafka_offset)
            values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) on conflict (event_id) do nothing""";

    private final EventConsumer consumer;

    /** One line of the timeline. */
    public record Entry(String eventId, String clusterId, String type, String source, Instant time, String traceId, String summary) {
    }

    public Timeline(EventConsumer consumer) {
        this.consumer = consumer;
    }

    /**
     * Records one event of any topic (the scheduler's consumer hands it every record after its own handling). A malformed
     * record is skipped: the topic's own consumers dead-letter it. PostgreSQL unreachable: tried again with back-off
     * until it succeeds, and the wait reported, exactly as the idempotent consumer does ({@link EventConsumer#untilDone}),
     * so that no event is missing from the timeline.
     */
    public Uni<Void> record(ConsumerRecord<String, byte[]> record) {
        ReceivedEvent<LifeboatEvent> event;
        try {
            event = EventCodec.decode(record);
        } catch (MalformedEventException e) {
            Log.debugf("timeline skips a malformed record at %s-%d@%d: %s", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return Uni.createFrom().voidItem();
        }
        return consumer.untilDone(CONSUMER, record, event.type().ceType() + " " + event.id(), () -> Panache.withTransaction(() -> Panache
                .getSession().chain(session -> session.createNativeQuery(INSERT)
                        .setParameter(1, event.id())
                        .setParameter(2, event.subject())
                        .setParameter(3, event.type().ceType())
                        .setParameter(4, event.source())
                        .setParameter(5, event.time())
                        .setParameter(6, traceId(record))
                        .setParameter(7, Summaries.of(event.payload()))
                        .setParameter(8, record.topic())
                        .setParameter(9, record.partition())
                        .setParameter(10, record.offset())
                        .executeUpdate())).replaceWithVoid());
    }

    /** The cluster's events since {@code since} (inclusive), oldest first, at most {@code limit}. */
    public Uni<List<Entry>> of(String clusterId, Instant since, int limit) {
        return Panache.withSession(() -> Panache.getSession().chain(session -> session.createNativeQuery("""
                select cast(event_id as text), cluster_id, type, source, occurred_at, trace_id, summary from timeline_event
                where cluster_id = ?1 and occurred_at >= ?2 order by occurred_at, kafka_offset limit ?3""", Object[].class)
                .setParameter(1, clusterId).setParameter(2, since).setParameter(3, limit).getResultList()))
                .map(rows -> rows.stream().map(Timeline::entry).toList());
    }

    private static Entry entry(Object[] row) {
        Object time = row[4];
        Instant instant = time instanceof Instant i ? i : time instanceof java.time.OffsetDateTime o ? o.toInstant()
                : ((java.sql.Timestamp) time).toInstant();
        return new Entry((String) row[0], (String) row[1], (String) row[2], (String) row[3], instant, (String) row[5], (String) row[6]);
    }

    /** The trace id of W3C {@code traceparent} (version-traceid-spanid-flags), or null. */
    static String traceId(ConsumerRecord<String, byte[]> record) {
        Header header = record.headers().lastHeader("traceparent");
        if (header == null) {
            return null;
        }
        String[] parts = new String(header.value(), StandardCharsets.US_ASCII).split("-");
        return parts.length == 4 ? parts[1] : null;
    }
}
