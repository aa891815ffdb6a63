package dev.lifeboat.events.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.EventsConfig;
import dev.lifeboat.events.LifeboatEvent;
import io.opentelemetry.api.OpenTelemetry;
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
    private final OpenTelemetry openTelemetry;

    public Outbox(EventsConfig config, OpenTelemetry openTelemetry) {
        this.config = config;
        this.openTelemetry = openTelemetry;
    }

    /**
     * Adds the event to the current transaction. Fails when called outside one: an event written on its
     * own could announce a change that never committed.
     *
     * @return the event's id ({@code ce_id})
     */
    public Uni<UUID> emit(LifeboatEvent event) {
        return Panache.currentTransaction()
                .onItem().ifNull().failWith(() -> new IllegalStateException(
                        "Outbox.emit must run inside the transaction of the state change it announces"))
                .chain(transaction -> {
                    OutboxEvent row = toRow(event);
                    return row.persist().replaceWith(row.eventId);
                });
    }

    private OutboxEvent toRow(LifeboatEvent event) {
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
        Map<String, String> carrier = new HashMap<>();
        openTelemetry.getPropagators().getTextMapPropagator().inject(Context.current(), carrier, Map::put);
        row.traceparent = carrier.get("traceparent");
        row.tracestate = carrier.get("tracestate");
        return row;
    }
}
