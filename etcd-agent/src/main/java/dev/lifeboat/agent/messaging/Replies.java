package dev.lifeboat.agent.messaging;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.runtime.EventProducers;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.runtime.Traces;
import io.opentelemetry.context.Context;
import dev.lifeboat.events.LifeboatEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Sends the agent's answers (MemberRestored, MemberRestoreFailed, MemberRolledBack) as CloudEvents,
 * idempotent producer, {@code acks=all}, and waits for the acknowledgement. The agent has no outbox: an
 * answer follows from its state file, which is written first, and is sent again (with the same event
 * id, so restore-service applies it once) until it is acknowledged — after a restart too.
 */
@ApplicationScoped
public class Replies {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaProducer<String, byte[]> producer;
    private final String source;

    public Replies(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.application.name") String application) {
        Map<String, Object> config = EventProducers.reliable(kafkaConfig, "etcd-agent-" + UUID.randomUUID(), SEND_TIMEOUT);
        this.producer = new KafkaProducer<>(config);
        this.source = "lifeboat/" + application;
    }

    /**
     * Sends {@code answer} and waits until Kafka has it. {@code idSeed} makes the event id: the same
     * answer sent twice has the same id.
     */
    public void send(LifeboatEvent answer, String idSeed) {
        EventType type = EventType.of(answer);
        UUID id = UUID.nameUUIDFromBytes((type.ceType() + "/" + idSeed).getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(type.topic(), answer.partitionKey(), EventCodec.encode(answer));
        EventCodec.writeHeaders(record.headers(), id, type, source, answer.clusterId(), Instant.now());
        // the answer continues the trace of the command it answers
        Traces.inject(Context.current()).forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        try {
            producer.send(record).get(SEND_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka did not take the answer " + type.ceType() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge the answer " + type.ceType() + " in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + type.ceType());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        producer.close(Duration.ofSeconds(5));
    }
}
