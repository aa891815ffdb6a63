package dev.lifeboat.events.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.runtime.Traces;
import io.opentelemetry.context.Context;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The only way an event leaves a service. {@link #emit} stores the event as a row in the caller's
 * transaction, so the event exists if and only if the state change it announces was committed; the
 * {@link OutboxRelay} publishes it afterwards. It never sends to Kafka itself.
 */
@ApplicationScoped
public class Outbox {

    private final EventsConfig config;

    public Outbox(EventsConfig config) {
        this.config = config;
    }

    /**
     * Adds the event to the current transaction. Fails when called outside one: an event written on its
     * own could announce a change that never committed.
     *
     * @return the event's id ({@code ce_id})
     */
    public Uni<UUID> emit(LifeboatEvent event) {
        return emit(event, null);
    }

    /** As {@link #emit(LifeboatEvent)}, continuing the trace {@code context} instead of the current one (null: the current). */
    public Uni<UUID> emit(LifeboatEvent event, Context context) {
        return Panache.currentTransaction()
                .onItem().ifNull().failWith(() -> new IllegalStateException(
                        "Outbox.emit must run inside the transaction of the state change it announces"))
                .chain(transaction -> {
                    OutboxEvent row = toRow(event, context != null ? context : Context.current());
                    return row.persist().replaceWith(row.eventId);
                });
    }

    /**
     * Adds several events to the current transaction, in order, with multi-row inserts (500 rows a
     * statement) instead of one round trip each. Events emitted before in the transaction are flushed
     * first, so the order of the event log is the order of the calls.
     */
    public Uni<Void> emitAll(java.util.List<? extends LifeboatEvent> events) {
        return emitAll(events, event -> Context.current());
    }

    /**
     * As {@link #emitAll(java.util.List)}, each event continuing the trace {@code contextOf} gives it (the scheduler's
     * firing: one trace per fired slot).
     */
    public Uni<Void> emitAll(java.util.List<? extends LifeboatEvent> events, java.util.function.Function<LifeboatEvent, Context> contextOf) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        java.util.List<OutboxEvent> rows = events.stream().map(event -> toRow(event, contextOf.apply(event))).toList();
        return Panache.currentTransaction()
                .onItem().ifNull().failWith(() -> new IllegalStateException(
                        "Outbox.emitAll must run inside the transaction of the state change it announces"))
                .chain(transaction -> Panache.getSession())
                .chain(session -> session.flush().chain(() -> insert(session, rows, 0)));
    }

    private static Uni<Void> insert(org.hibernate.reactive.mutiny.Mutiny.Session session, java.util.List<OutboxEvent> rows, int from) {
        if (from >= rows.size()) {
            return Uni.createFrom().voidItem();
        }
        java.util.List<OutboxEvent> chunk = rows.subList(from, Math.min(rows.size(), from + 500));
        StringBuilder sql = new StringBuilder("insert into outbox_event (event_id, cluster_id, partition_key, topic, type, source, payload, "
                + "traceparent, tracestate, created_at) values ");
        for (int i = 0; i < chunk.size(); i++) {
            int p = i * 10;
            sql.append(i == 0 ? "" : ", ").append("(?").append(p + 1);
            for (int k = 2; k <= 10; k++) {
                sql.append(", ?").append(p + k);
            }
            sql.append(')');
        }
        var query = session.createNativeQuery(sql.toString());
        for (int i = 0; i < chunk.size(); i++) {
            OutboxEvent row = chunk.get(i);
            int p = i * 10;
            query.setParameter(p + 1, row.eventId).setParameter(p + 2, row.clusterId).setParameter(p + 3, row.partitionKey)
                    .setParameter(p + 4, row.topic).setParameter(p + 5, row.type).setParameter(p + 6, row.source)
                    .setParameter(p + 7, row.payload).setParameter(p + 8, row.traceparent).setParameter(p + 9, row.tracestate)
                    .setParameter(p + 10, row.createdAt);
        }
        return query.executeUpdate().chain(() -> insert(session, rows, from + 500));
    }

    private OutboxEvent toRow(LifeboatEvent event, Context context) {
        EventType type = EventType.of(event);
        OutboxEvent row = new OutboxEvent();
        row.eventId = UUID.randomUUID();
        row.clusterId = event.clusterId();
        row.partitionKey = event.partitionKey();
        row.topic = type.topic();
        row.type = type.ceType();
        row.source = config.source();
        row.payload = new String(EventCodec.encode(event), StandardCharsets.UTF_8);
        row.createdAt = Instant.now();
        // The trace of the work that emits the event continues in every consumer of it.
        Map<String, String> carrier = Traces.inject(context);
        row.traceparent = carrier.get("traceparent");
        row.tracestate = carrier.get("tracestate");
        return row;
    }
}
