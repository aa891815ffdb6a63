package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka as production should run it for Lifeboat, on a real broker: clients log in with SASL/SCRAM, and only the
 * principal granted Lifeboat's ACLs may produce to and consume from its topics. A principal without them — a forged
 * {@code RestoreMember} to the agents, a fake {@code SnapshotDeleted} — is refused by the broker; a wrong password
 * does not log in.
 */
class SecuredKafkaIT {

    private static final String COMMANDS = "lifeboat.agent-commands";

    @Test
    void onlyThePrincipalWithLifeboatsAclsProducesAndConsumes(@TempDir Path dir) throws Exception {
        StackOptions options = StackOptions.forTests(dir, Map.of(COMMANDS, 1));
        try (KafkaBroker broker = KafkaBroker.startSecured(options, dir.resolve("kafka"), Map.of("lifeboat", "lifeboat-pw", "intruder", "intruder-pw"))) {
            broker.allowLifeboat("lifeboat");
            String value = "restore-member-" + UUID.randomUUID();
            try (KafkaProducer<String, String> producer = producer(broker, "lifeboat", "lifeboat-pw")) {
                producer.send(new ProducerRecord<>(COMMANDS, "cluster/member", value)).get();
            }
            assertEquals(value, consumeOne(broker, "lifeboat", "lifeboat-pw"), "Lifeboat's principal reads its topic");

            try (KafkaProducer<String, String> producer = producer(broker, "intruder", "intruder-pw")) {
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> producer.send(new ProducerRecord<>(COMMANDS, "cluster/member", "forged")).get());
                assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), "the broker refuses the forged command");
            }
            try (KafkaProducer<String, String> producer = producer(broker, "lifeboat", "wrong-password")) {
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> producer.send(new ProducerRecord<>(COMMANDS, "cluster/member", "forged")).get());
                assertInstanceOf(SaslAuthenticationException.class, refused.getCause(), "a wrong password does not log in");
            }
            assertEquals(value, consumeOne(broker, "lifeboat", "lifeboat-pw"), "nothing forged reached the topic");
        }
    }

    private static KafkaProducer<String, String> producer(KafkaBroker broker, String user, String password) {
        Map<String, Object> config = new HashMap<>(KafkaBroker.saslClientConfig(user, password));
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** The only record of the topic, read from the beginning by a new group. */
    private static String consumeOne(KafkaBroker broker, String user, String password) {
        Map<String, Object> config = new HashMap<>(KafkaBroker.saslClientConfig(user, password));
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "lifeboat-check-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(COMMANDS));
            Instant deadline = Instant.now().plusSeconds(30);
            List<String> values = new java.util.ArrayList<>();
            while (Instant.now().isBefore(deadline) && values.isEmpty()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(new String(record.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                }
            }
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
                values.add(record.value());
            }
            assertEquals(1, values.size(), "one record: " + values);
            return values.get(0);
        }
    }
}
