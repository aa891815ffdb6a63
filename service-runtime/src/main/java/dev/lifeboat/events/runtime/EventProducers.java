package dev.lifeboat.events.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one way Lifeboat configures a Kafka producer of events (the outbox relay's, the etcd-agent's
 * answers): the service's own {@code kafka.*} connection settings (bootstrap servers, TLS, SASL), an
 * idempotent producer with {@code acks=all}, String keys and CloudEvents bodies as bytes.
 */
public final class EventProducers {

    private EventProducers() {
    }

    /** Producer settings from the service's Kafka configuration, with {@code sendTimeout} as the delivery timeout. */
    public static Map<String, Object> reliable(Map<String, Object> kafkaConfig, String clientId, Duration sendTimeout) {
        Map<String, Object> producerConfig = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (ProducerConfig.configNames().contains(key)) {
                producerConfig.put(key, value);
            }
        });
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis());
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(sendTimeout.toMillis() / 2, 30_000));
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return producerConfig;
    }
}
