package dev.lifeboat.agent.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

import dev.lifeboat.agent.AgentConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.event.Observes;

/**
 * Makes sure the agent knows every restore outcome Kafka has before it runs a restore command, so a command that
 * reaches it after its restore failed elsewhere is refused instead of run and rolled back.
 *
 * <p>The agent hears commands and restore outcomes on two consumers, and either may deliver first. A restarted
 * agent could run a command before it read the FAILED that had been published for its restore, while the
 * FAILED waited behind other restore events. Two rules close both gaps:
 * <ol>
 * <li><b>Look back on assignment.</b> When the restore events' partitions are assigned (the agent starts), they
 * are read again from {@link #lookBack} ago ({@code restore-events-look-back}, at least {@code command-max-age}).
 * No command older than that runs: one without {@code expiresAt} is refused after {@code command-max-age}, one
 * whose {@code expiresAt} lies further out is refused at once ({@link #outlivesLookBack}). A FAILED that an
 * earlier run of the agent read and committed is heard again, because the set of failed restores lives in memory
 * only. Reading a COMPLETED twice changes nothing.</li>
 * <li><b>Catch up before a restore.</b> Before a new restore command runs, {@link #awaitCaughtUp} asks Kafka for
 * the end of each partition and waits until the consumer has handled everything before it, up to
 * {@code restore-events-catch-up}. If Kafka cannot say in time, the command runs and a warning says so. The
 * restore still stops at a FAILED heard later, before its swap or while it waits for a quorum.</li>
 * </ol>
 */
@ApplicationScoped
@Default
@Identifier(RestoreEventsGate.REBALANCE_LISTENER)
public class RestoreEventsGate implements KafkaConsumerRebalanceListener {

    /** The name {@code mp.messaging.incoming.restore-events.consumer-rebalance-listener.name} refers to. */
    public static final String REBALANCE_LISTENER = "restore-events-lookback";
    static final String CHANNEL = "restore-events";

    private final AgentConfig config;
    private final KafkaClientService kafka;
    /** Per partition: the offset after the last record handled. */
    private final Map<TopicPartition, Long> handled = new ConcurrentHashMap<>();
    /** Per partition: where the consumer started reading when it was assigned (after the look-back). */
    private final Map<TopicPartition, Long> started = new ConcurrentHashMap<>();
    private volatile Admin admin;

    public RestoreEventsGate(AgentConfig config, KafkaClientService kafka) {
        this.config = config;
        this.kafka = kafka;
    }

    /** How far back the restore events are read on start: {@code restore-events-look-back}, at least {@code command-max-age}. */
    static Duration lookBack(AgentConfig config) {
        return config.restoreEventsLookBack().compareTo(config.commandMaxAge()) >= 0 ? config.restoreEventsLookBack() : config.commandMaxAge();
    }

    /**
     * Why a new restore command must not run because it may run later than the look-back reaches (created at
     * {@code createdAt}, valid until {@code expiresAt}), or null.
     */
    static String outlivesLookBack(AgentConfig config, String restoreId, Instant createdAt, Instant expiresAt) {
        Duration lookBack = lookBack(config);
        if (expiresAt == null || !expiresAt.isAfter(createdAt.plus(lookBack))) {
            return null;
        }
        return "the command of restore " + restoreId + " may run until " + expiresAt + ", more than the etcd-agent's restore-events-look-back of "
                + lookBack + " after it was created (" + createdAt + "): after a restart the agent could not learn whether that restore had"
                + " failed; not run (raise lifeboat.agent.restore-events-look-back above restore-service's member-timeout)";
    }

    /** On the consumer's polling thread: reads the assigned partitions again from {@link #lookBack} ago. */
    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> assigned) {
        if (assigned.isEmpty()) {
            return;
        }
        Instant since = Instant.now().minus(lookBack(config));
        Map<TopicPartition, Long> query = assigned.stream().collect(Collectors.toMap(p -> p, p -> since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        for (TopicPartition partition : assigned) {
            OffsetAndTimestamp first = found.get(partition);
            long position = consumer.position(partition);
            if (first != null && first.offset() < position) {
                consumer.seek(partition, first.offset());
                Log.debugf("restore events %s: read again from offset %d (since %s), was at %d", partition, first.offset(), since, position);
                position = first.offset();
            }
            started.put(partition, position);
        }
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> revoked) {
        revoked.forEach(started::remove);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> lost) {
        lost.forEach(started::remove);
    }

    /** Called once a restore event has been handled (whatever its cluster). */
    void handled(ConsumerRecord<?, ?> record) {
        handled.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
    }

    /**
     * Waits until every restore event published before this call has been handled, at most {@code max}. Returns
     * null when caught up, otherwise why not (the partitions behind, or Kafka's error), for the warning.
     */
    String awaitCaughtUp(Duration max) {
        Instant deadline = Instant.now().plus(max);
        Map<TopicPartition, Long> ends = null;
        String behind = "the restore events' partitions are not assigned yet";
        while (true) {
            try {
                if (ends == null && !started.isEmpty()) {
                    ends = endOffsets(started.keySet(), Duration.between(Instant.now(), deadline));
                }
                if (ends != null) {
                    Map<TopicPartition, Long> lagging = new HashMap<>();
                    ends.forEach((partition, end) -> {
                        long at = Math.max(handled.getOrDefault(partition, -1L), started.getOrDefault(partition, -1L));
                        if (at < end) {
                            lagging.put(partition, end - Math.max(at, 0));
                        }
                    });
                    if (lagging.isEmpty()) {
                        return null;
                    }
                    behind = "restore events not yet handled, by partition: " + lagging;
                }
            } catch (Exception e) {
                ends = null;
                behind = "Kafka did not give the end of the restore events: " + e.getMessage();
            }
            if (!Instant.now().isBefore(deadline)) {
                return behind;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for the restore events";
            }
        }
    }

    private Map<TopicPartition, Long> endOffsets(Set<TopicPartition> partitions, Duration timeout) throws Exception {
        ListOffsetsResult result = admin().listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())));
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (var entry : result.all().get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS).entrySet()) {
            ends.put(entry.getKey(), entry.getValue().offset());
        }
        return ends;
    }

    /** An admin client with the channel's connection settings (bootstrap servers, TLS, SASL), made on first use. */
    private Admin admin() {
        Admin current = admin;
        if (current == null) {
            synchronized (this) {
                if (admin == null) {
                    Set<String> known = AdminClientConfig.configNames();
                    Map<String, Object> settings = new HashMap<>();
                    kafka.getConsumer(CHANNEL).configuration().forEach((key, value) -> {
                        if (known.contains(key)) {
                            settings.put(key, value);
                        }
                    });
                    settings.put(AdminClientConfig.CLIENT_ID_CONFIG, "lifeboat-agent-" + config.memberName() + "-restore-events-gate");
                    admin = Admin.create(settings);
                }
                current = admin;
            }
        }
        return current;
    }

    void close(@Observes ShutdownEvent event) {
        Admin current = admin;
        if (current != null) {
            current.close(Duration.ofSeconds(5));
        }
    }
}
