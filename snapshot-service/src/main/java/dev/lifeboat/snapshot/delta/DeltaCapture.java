package dev.lifeboat.snapshot.delta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import dev.lifeboat.events.Topics;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.events.work.WakeableLoop;
import dev.lifeboat.snapshot.SnapshotMetrics;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Default;

/**
 * Runs delta capture for the clusters this instance owns. Ownership follows Kafka: an instance watches
 * the clusters whose key falls into a partition of {@code lifeboat.cluster-events} assigned to its
 * consumer (this class is that channel's rebalance listener), so more replicas spread the watchers, and
 * on a rebalance a watcher stores what it buffered and stops while the new owner resumes from the chain's
 * last stored revision.
 *
 * <p>When woken (a cluster event, a snapshot event or a partition assignment was processed) and every
 * {@code check-interval} as a fallback, it compares what runs with what should: a cluster with a DELTA policy
 * gets a chain (WAITING for a base full snapshot, requested when needed), an ACTIVE chain gets a watcher;
 * a paused cluster's watcher stores its delta and ends the chain (the next chain starts from a full
 * snapshot taken after the pause); a removed policy or cluster ends it too.
 */
@ApplicationScoped
@Default
@Identifier(DeltaCapture.REBALANCE_LISTENER)
public class DeltaCapture implements KafkaConsumerRebalanceListener {

    /** The name the events channel refers to in {@code consumer-rebalance-listener.name}; only lifeboat.cluster-events counts. */
    public static final String REBALANCE_LISTENER = "delta-capture";

    private final Chains chains;
    private final SnapshotServiceConfig config;
    private final ClusterWatcher.Settings settings;
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    private final Map<String, ClusterWatcher> watchers = new ConcurrentHashMap<>();
    private volatile int partitions = Topics.PARTITIONS;
    private volatile WakeableLoop checks;

    private final SnapshotMetrics metrics;

    public DeltaCapture(Chains chains, DeltaStore store, SnapshotServiceConfig config, SnapshotMetrics metrics, io.opentelemetry.api.trace.Tracer tracer) {
        this.chains = chains;
        this.config = config;
        this.metrics = metrics;
        this.settings = new ClusterWatcher.Settings(store, config.capture().flowControlWindow(), config.capture().maxBackoff(), metrics, tracer,
                config.capture().fingerprintEvery());
    }

    void onStart(@Observes StartupEvent event) {
        checks = WakeableLoop.start("delta-capture-check", Duration.ofSeconds(1), config.capture().checkInterval(), this::check);
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(checks);
        stopAll(watchers.keySet(), null);
    }

    /**
     * Something the capture follows changed (a cluster fact or policy, a snapshot stored, partitions assigned):
     * compare what runs with what should, now rather than at the next fallback check.
     */
    public void wake() {
        WakeableLoop loop = checks;
        if (loop != null) {
            loop.wake();
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> assigned) {
        assigned.stream().filter(p -> Topics.CLUSTER_EVENTS.equals(p.topic())).forEach(p -> owned.add(p.partition()));
        partitions = consumer.partitionsFor(Topics.CLUSTER_EVENTS).size();
        Log.debugf("delta capture owns partitions %s of %s", owned, Topics.CLUSTER_EVENTS);
        wake();
    }

    /** Revoked partitions: their clusters' watchers store what they buffered and stop before the new owner starts. */
    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> revoked) {
        revoked.stream().filter(p -> Topics.CLUSTER_EVENTS.equals(p.topic())).forEach(p -> owned.remove(p.partition()));
        stopAll(watchers.keySet().stream().filter(cluster -> !owns(cluster)).toList(), null);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> lost) {
        onPartitionsRevoked(consumer, lost);
    }

    /** Whether this instance captures the cluster: its key's partition of the cluster topic is assigned here. */
    boolean owns(String clusterId) {
        return owned.contains(Utils.toPositive(Utils.murmur2(clusterId.getBytes(StandardCharsets.UTF_8))) % partitions);
    }

    /** What the capture of a cluster does on this instance, if it runs here. */
    public Optional<CaptureStatus> status(String clusterId) {
        ClusterWatcher watcher = watchers.get(clusterId);
        return watcher == null ? Optional.empty() : Optional.of(watcher.status());
    }

    private void check() {
        try {
            List<Chains.Target> targets = ClaimedWork.await(chains::targets);
            Set<String> wanted = new HashSet<>();
            for (Chains.Target target : targets) {
                if (owns(target.clusterId())) {
                    wanted.add(target.clusterId());
                    check(target);
                }
            }
            stopAll(watchers.keySet().stream().filter(cluster -> !wanted.contains(cluster)).toList(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!Thread.currentThread().isInterrupted()) {
                Log.warnf("delta capture cannot check its clusters right now: %s", e.getMessage());
            }
        }
    }

    private void check(Chains.Target target) throws IOException, InterruptedException {
        String cluster = target.clusterId();
        ChainRecord chain = target.chain();
        ClusterWatcher watcher = watchers.get(cluster);
        String endReason = target.clusterGone() ? "the cluster was deleted" : target.policy() == null ? "the DELTA policy was removed"
                : target.paused() ? "the cluster was paused for a restore" : null;
        if (endReason != null) {
            if (watcher != null) {
                stopAll(List.of(cluster), endReason);
            } else if (chain != null) {
                ClaimedWork.await(() -> chains.end(chain.id, endReason));
            }
            return;
        }
        if (chain == null) {
            Instant now = Instant.now();
            boolean afterPause = target.resumedAt() != null && target.resumedAt().isAfter(now.minus(config.capture().baseRetry()));
            Instant baseAfter = afterPause ? target.resumedAt() : now;
            ClaimedWork.await(() -> chains.open(cluster, baseAfter, afterPause ? now.plus(config.capture().baseRequestDelay()) : now));
            wake(); // the new chain's base is looked for (or asked for) at once
            return;
        }
        if (chain.state == ChainRecord.State.WAITING) {
            ChainRecord after = ClaimedWork.await(() -> chains.startOrRequestBase(chain.id, config.capture().baseRetry()));
            if (after != null && after.state == ChainRecord.State.ACTIVE) {
                wake(); // its watcher starts at once
            } else if (after != null && after.baseRequestedAt == null && after.requestAfter != null && after.requestAfter.isAfter(Instant.now())) {
                checks.wakeAt(after.requestAfter); // the base is asked for when the delay after a pause ran out
            }
            return;
        }
        if (watcher != null && (!watcher.alive() || !watcher.chainId().equals(chain.id))) {
            stopAll(List.of(cluster), null);
            watcher = null;
        }
        if (watcher == null) {
            ClusterWatcher started = new ClusterWatcher(cluster, target.spec(), chain, target.policy(), chains, settings);
            watchers.put(cluster, started);
            metrics.unwatch(cluster);
            metrics.watch(cluster, started::status);
            started.start();
        } else {
            watcher.apply(target.policy());
        }
    }

    private void stopAll(Collection<String> clusters, String endReason) {
        clusters.forEach(metrics::unwatch);
        List<ClusterWatcher> stopping = clusters.stream().map(watchers::remove).filter(java.util.Objects::nonNull).toList();
        stopping.parallelStream().forEach(watcher -> watcher.stop(endReason, config.capture().stopTimeout()));
    }
}
