package dev.lifeboat.events.testing;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;

/** Publishes events to Kafka as another Lifeboat service would, for tests of a consumer. */
public final class TestEvents {

    private TestEvents() {
    }

    /** Publishes {@code event} with a fresh event id, created now; returns the id. */
    public static UUID publish(String bootstrap, String source, LifeboatEvent event) {
        UUID id = UUID.randomUUID();
        send(bootstrap, source, event, id, Instant.now());
        return id;
    }

    /**
     * Publishes {@code event} with a fresh event id as if its producer had written it at {@code createdAt} (its
     * {@code ce_time}: a back-dated command, say); returns where it landed, for a test that waits for a consumer's
     * commit.
     */
    public static RecordMetadata publish(String bootstrap, String source, LifeboatEvent event, Instant createdAt) {
        return send(bootstrap, source, event, UUID.randomUUID(), createdAt);
    }

    private static RecordMetadata send(String bootstrap, String source, LifeboatEvent event, UUID id, Instant createdAt) {
        EventType type = EventType.of(event);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(type.topic(), event.partitionKey(), EventCodec.encode(event));
        EventCodec.writeHeaders(record.headers(), id, type, source, event.clusterId(), createdAt);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish " + type.ceType() + ": " + e.getMessage(), e);
        }
    }
}
