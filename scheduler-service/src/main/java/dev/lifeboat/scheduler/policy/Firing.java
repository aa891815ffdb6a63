package dev.lifeboat.scheduler.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.scheduler.cluster.ClusterRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Fires due policies: each due slot becomes one SnapshotRequested through the outbox, with request id
 * {@code policy-<cluster>-<policy>-<slot epoch seconds>}.
 *
 * <ul>
 * <li>Due policies are locked with {@code FOR UPDATE SKIP LOCKED} and every fired slot is a row keyed
 * by (cluster, policy, slot): two replicas never fire the same slot.</li>
 * <li>After downtime only the latest missed slot fires, once, and only if it is at most the policy's
 * starting deadline old (as Kubernetes CronJob's {@code startingDeadlineSeconds}).</li>
 * <li>A paused cluster's slots pass without firing.</li>
 * </ul>
 */
@ApplicationScoped
public class Firing {

    private static final String DUE = """
            select cluster_id, id from policy where next_fire_at <= now() order by next_fire_at limit 200 for update skip locked""";
    private static final String FIRE_SLOT = """
            insert into fired_slot (cluster_id, policy_id, slot, request_id, fired_at) values (?1, ?2, ?3, ?4, now())
            on conflict do nothing""";

    private final Outbox outbox;
    private ScheduledExecutorService ticker;

    public Firing(Outbox outbox) {
        this.outbox = outbox;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "policy-firing");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    private void tick() {
        try {
            int fired;
            do {
                fired = VertxContextSupport.subscribeAndAwait(() -> fireDue(Instant.now()));
            } while (fired == 200);
        } catch (Throwable e) {
            Log.warnf("policies could not be fired this second: %s", e.getMessage());
        }
    }

    /** Fires the policies due at {@code now}; returns how many were looked at. */
    public Uni<Integer> fireDue(Instant now) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(DUE, Object[].class).getResultList())
                .chain(ids -> fireEach(ids, 0, now).replaceWith(ids.size())));
    }

    private Uni<Void> fireEach(List<Object[]> ids, int index, Instant now) {
        if (index >= ids.size()) {
            return Uni.createFrom().voidItem();
        }
        return PolicyRecord.<PolicyRecord>findById(new PolicyRecord.Key((String) ids.get(index)[0], (String) ids.get(index)[1]))
                .chain(policy -> fire(policy, now))
                .chain(() -> fireEach(ids, index + 1, now));
    }

    private Uni<Void> fire(PolicyRecord policy, Instant now) {
        Schedule schedule = Schedule.parse(policy.schedule, policy.timeZone);
        long offset = policy.offsetSeconds();
        Optional<Instant> latest = schedule.latest(now.minusSeconds(offset));
        policy.nextFireAt = schedule.next(latest.orElse(now.minusSeconds(offset))).orElse(Instant.MAX.minusSeconds(1)).plusSeconds(offset);
        if (latest.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant slot = latest.get();
        Duration late = Duration.between(slot.plusSeconds(offset), now);
        if (late.getSeconds() > policy.startingDeadlineSeconds) {
            Log.infof("policy %s of cluster %s: slot %s missed by %s, beyond its starting deadline; next at %s", policy.id,
                    policy.clusterId, slot, late, policy.nextFireAt);
            return Uni.createFrom().voidItem();
        }
        return ClusterRecord.<ClusterRecord>findById(policy.clusterId).chain(cluster -> {
            if (cluster == null || cluster.paused) {
                return Uni.createFrom().voidItem();
            }
            String requestId = "policy-" + policy.clusterId + "-" + policy.id + "-" + slot.getEpochSecond();
            return Panache.getSession()
                    .chain(session -> session.createNativeQuery(FIRE_SLOT).setParameter(1, policy.clusterId).setParameter(2, policy.id)
                            .setParameter(3, slot).setParameter(4, requestId).executeUpdate())
                    .chain(inserted -> inserted == 0 ? Uni.createFrom().voidItem()
                            : outbox.emit(new SnapshotRequested(requestId, policy.clusterId, SnapshotKind.valueOf(policy.kind),
                                    "schedule " + policy.schedule + " (" + policy.timeZone + ")", policy.id, now)).replaceWithVoid());
        });
    }
}
