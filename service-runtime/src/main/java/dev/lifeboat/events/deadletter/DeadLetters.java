package dev.lifeboat.events.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.Config;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.api.RequestRefusedException;
import dev.lifeboat.events.runtime.EventProducers;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The service's dead-letter topics (every {@code mp.messaging.incoming.*.dead-letter-queue.topic} it
 * configures): what is on them, and putting one record back on the topic it came from once the cause is
 * fixed (a consumer that understands it now). Only records that can never be processed are dead-lettered
 * (malformed, unknown type, invalid field); an outage is waited out, never dead-lettered.
 */
@ApplicationScoped
public class DeadLetters {

    /** The header naming where a replayed record came from: {@code <dead-letter topic>/<partition>@<offset>}. */
    public static final String H_REPLAYED_FROM = "lifeboat-replayed-from";
    private static final String DLQ_HEADER_PREFIX = "dead-letter-";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_REASON = 500;

    /** A dead-lettered record as people and tools see it: where it is, where it came from, what it is and why; never its body. */
    public record DeadLetter(String topic, int partition, long offset, Instant at, String originalTopic, Integer originalPartition,
            Long originalOffset, String type, String eventId, String key, String reason, int bytes) {
    }

    /** A record put back on its topic. */
    public record Replayed(String from, String topic, int partition, long offset) {
    }

    private final Map<String, Object> kafkaConfig;
    private final List<String> topics;

    public DeadLetters(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, Config config) {
        this.kafkaConfig = kafkaConfig;
        TreeSet<String> found = new TreeSet<>();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith("mp.messaging.incoming.") && name.endsWith(".dead-letter-queue.topic")) {
                config.getOptionalValue(name, String.class).ifPresent(found::add);
            }
        }
        this.topics = List.copyOf(found);
    }

    /** The dead-letter topics this service writes to. */
    public List<String> topics() {
        return topics;
    }

    /** Up to {@code limit} records of {@code topic} (one of {@link #topics()}), oldest first, from {@code fromOffset} of each partition. */
    public List<DeadLetter> list(String topic, long fromOffset, int limit) {
        requireKnown(topic);
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, READ_TIMEOUT);
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, READ_TIMEOUT);
            long remaining = 0;
            for (TopicPartition partition : partitions) {
                long start = Math.max(fromOffset, begins.get(partition));
                consumer.seek(partition, start);
                remaining += Math.max(0, ends.get(partition) - start);
            }
            Instant deadline = Instant.now().plus(READ_TIMEOUT);
            while (remaining > 0 && letters.size() < limit && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() < ends.get(partition)) {
                        remaining--;
                        if (letters.size() < limit) {
                            letters.add(view(record));
                        }
                    }
                }
            }
        }
        letters.sort(java.util.Comparator.comparing(DeadLetter::at).thenComparing(DeadLetter::partition).thenComparing(DeadLetter::offset));
        return letters;
    }

    /**
     * Puts the record at {@code topic}/{@code partition}@{@code offset} back on the topic it was dead-lettered from,
     * with its key, body and headers (the dead-letter headers dropped, {@link #H_REPLAYED_FROM} added). Consumers
     * skip an event they processed already (its id), so replaying twice applies it once.
     */
    public Replayed replay(String topic, int partition, long offset) {
        requireKnown(topic);
        ConsumerRecord<String, byte[]> record = read(topic, partition, offset);
        String original = header(record, "dead-letter-topic");
        if (original == null || !Topics.all().containsKey(original)) {
            throw new RequestRefusedException(409, "offset", topic + "/" + partition + "@" + offset + " does not name a Lifeboat topic it came from"
                    + (original == null ? "" : " ('" + original + "')") + "; it cannot be replayed");
        }
        ProducerRecord<String, byte[]> again = new ProducerRecord<>(original, record.key(), record.value());
        for (Header header : record.headers()) {
            if (!header.key().startsWith(DLQ_HEADER_PREFIX) && !header.key().equals(H_REPLAYED_FROM)) {
                again.headers().add(header);
            }
        }
        String from = topic + "/" + partition + "@" + offset;
        again.headers().add(H_REPLAYED_FROM, from.getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(EventProducers.reliable(kafkaConfig, "dead-letter-replay-"
                + UUID.randomUUID(), Duration.ofSeconds(30)))) {
            RecordMetadata sent = producer.send(again).get(60, TimeUnit.SECONDS);
            Log.infof("dead letter %s (%s %s) replayed to %s-%d@%d", from, header(record, EventCodec.H_TYPE), header(record, EventCodec.H_ID),
                    sent.topic(), sent.partition(), sent.offset());
            return new Replayed(from, sent.topic(), sent.partition(), sent.offset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestRefusedException(503, null, "interrupted while replaying " + from);
        } catch (ExecutionException | TimeoutException e) {
            throw new RequestRefusedException(503, null, "Kafka did not take the replay of " + from + ": " + e.getMessage());
        }
    }

    private ConsumerRecord<String, byte[]> read(String topic, int partition, long offset) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition at = new TopicPartition(topic, partition);
            if (partitions(consumer, topic).stream().noneMatch(at::equals)) {
                throw new RequestRefusedException(404, "partition", topic + " has no partition " + partition);
            }
            consumer.assign(List.of(at));
            long end = consumer.endOffsets(List.of(at), READ_TIMEOUT).get(at);
            long begin = consumer.beginningOffsets(List.of(at), READ_TIMEOUT).get(at);
            if (offset < begin || offset >= end) {
                throw new RequestRefusedException(404, "offset", topic + "/" + partition + " has no record at offset " + offset + " (it holds " + begin
                        + ".." + (end - 1) + ")");
            }
            consumer.seek(at, offset);
            Instant deadline = Instant.now().plus(READ_TIMEOUT);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() == offset) {
                        return record;
                    }
                }
            }
        }
        throw new RequestRefusedException(503, null, "could not read " + topic + "/" + partition + "@" + offset + " within " + READ_TIMEOUT.toSeconds() + " s");
    }

    private void requireKnown(String topic) {
        if (!topics.contains(topic)) {
            throw new RequestRefusedException(404, "topic", "not a dead-letter topic of this service; its topics: " + topics);
        }
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, READ_TIMEOUT);
        return infos == null ? List.of() : infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> config = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (ConsumerConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "dead-letter-reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(config);
    }

    private static DeadLetter view(ConsumerRecord<String, byte[]> record) {
        String reason = header(record, "dead-letter-reason");
        String cause = header(record, "dead-letter-cause");
        String why = reason == null ? cause : cause == null || reason.contains(cause) ? reason : reason + " (" + cause + ")";
        if (why != null && why.length() > MAX_REASON) {
            why = why.substring(0, MAX_REASON) + "…";
        }
        return new DeadLetter(record.topic(), record.partition(), record.offset(), Instant.ofEpochMilli(record.timestamp()),
                header(record, "dead-letter-topic"), number(header(record, "dead-letter-partition"), Integer::valueOf),
                number(header(record, "dead-letter-offset"), Long::valueOf), header(record, EventCodec.H_TYPE), header(record, EventCodec.H_ID),
                record.key(), why, record.value() == null ? 0 : record.value().length);
    }

    private static <T> T number(String text, java.util.function.Function<String, T> parse) {
        try {
            return text == null ? null : parse.apply(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
