package dev.lifeboat.events.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.MalformedEventException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * The retry every consumer and the scheduler's timeline share ({@link EventConsumer#untilDone}): an outage is waited
 * out and shows while it lasts; a malformed record is not retried. Pure logic: the failing attempt stands in for
 * PostgreSQL refusing connections (the real outage is exercised by the fault-injection tests).
 */
class EventConsumerRetryTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EventConsumer consumer = new EventConsumer(registry);
    private final ConsumerRecord<String, byte[]> record = new ConsumerRecord<>("lifeboat.snapshot-events", 2, 41L, "c1", new byte[0]);

    @Test
    void anOutageIsRetriedUntilItEndsAndTheWaitShowsMeanwhile() {
        AtomicInteger attempts = new AtomicInteger();
        List<Map<String, EventConsumer.Stall>> seenWhileWaiting = new ArrayList<>();
        List<Double> gaugeWhileWaiting = new ArrayList<>();

        consumer.untilDone("timeline", record, "SnapshotCompleted e-1", () -> {
            if (attempts.incrementAndGet() <= 2) {
                return Uni.createFrom().failure(new IllegalStateException("Connection refused: 127.0.0.1:5432"));
            }
            seenWhileWaiting.add(consumer.stalled());
            gaugeWhileWaiting.add(registry.get("lifeboat.events.consumer.stalled.seconds").tag("consumer", "timeline")
                    .tag("partition", "lifeboat.snapshot-events-2").gauge().value());
            return Uni.createFrom().voidItem();
        }).await().atMost(Duration.ofSeconds(10));

        assertEquals(3, attempts.get(), "two failures, then success");
        assertEquals(2.0, registry.get("lifeboat.events.consumer.retries").tag("consumer", "timeline").counter().count());
        Map<String, EventConsumer.Stall> stall = seenWhileWaiting.get(0);
        assertEquals(List.of("timeline@lifeboat.snapshot-events-2"), List.copyOf(stall.keySet()), "the stall names consumer and partition");
        assertTrue(stall.values().iterator().next().reason().contains("Connection refused"), stall.toString());
        assertTrue(gaugeWhileWaiting.get(0) >= 0.0);
        assertEquals(Map.of(), consumer.stalled(), "cleared once the record is processed");
        assertEquals(0.0, registry.get("lifeboat.events.consumer.stalled.seconds").tag("consumer", "timeline").gauge().value());
    }

    @Test
    void aMalformedRecordFailsAtOnceForTheDeadLetterTopic() {
        AtomicInteger attempts = new AtomicInteger();
        Uni<Void> result = consumer.untilDone("timeline", record, "bad record", () -> {
            attempts.incrementAndGet();
            return Uni.createFrom().failure(new MalformedEventException("missing field clusterId"));
        });

        RuntimeException failure = assertThrows(RuntimeException.class, () -> result.await().atMost(Duration.ofSeconds(10)));
        assertInstanceOf(MalformedEventException.class, failure);
        assertEquals(1, attempts.get(), "never retried");
        assertEquals(Map.of(), consumer.stalled(), "not a stall");
    }
}
