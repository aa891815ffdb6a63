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

    /** Policies handled in one transaction. */
    static final int BATCH = 1000;
    private static final String DUE = """
            select * from policy where next_fire_at <= ?1 order by next_fire_at limit %d for update skip locked""".formatted(BATCH);

    /** Parsed schedules by expression and zone: parsing a cron expression costs more than firing it. */
    private static final java.util.Map<String, Schedule> SCHEDULES = new java.util.concurrent.ConcurrentHashMap<>();

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
        ticker.scheduleWithFixedDelay(this::tick, 1000, 200, TimeUnit.MILLISECONDS);
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
            } while (fired == BATCH);
        } catch (Throwable e) {
            Log.warnf("policies could not be fired this second: %s", e.getMessage());
        }
    }

    /**
     * Fires the policies due at {@code now}, set-based: one query locks up to {@link #BATCH} due policies,
     * one reads their clusters, one multi-row insert claims their slots (those another replica claimed
     * already come back absent), one multi-row insert writes their events to the outbox; the new
     * next-fire times go out as batched updates. Returns how many policies were looked at.
     */
    public Uni<Integer> fireDue(Instant now) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(DUE, PolicyRecord.class).setParameter(1, now).getResultList()
                        .chain(policies -> policies.isEmpty() ? Uni.createFrom().item(0)
                                : ClusterRecord.<ClusterRecord>list("id in ?1", policies.stream().map(p -> p.clusterId).distinct().toList())
                                        .chain(clusters -> fireAll(session, policies, clusters, now))
                                        .replaceWith(policies.size()))));
    }

    /** A slot to fire: the policy and its request. */
    private record Due(PolicyRecord policy, Instant slot, String requestId) {
    }

    private Uni<Void> fireAll(org.hibernate.reactive.mutiny.Mutiny.Session session, List<PolicyRecord> policies, List<ClusterRecord> clusters,
            Instant now) {
        java.util.Map<String, ClusterRecord> byId = new java.util.HashMap<>();
        clusters.forEach(cluster -> byId.put(cluster.id, cluster));
        List<Due> due = new java.util.ArrayList<>();
        for (PolicyRecord policy : policies) {
            session.detach(policy); // next fire times go out in one statement below, not as 1,000 updates
            Instant slot = advance(policy, now);
            ClusterRecord cluster = byId.get(policy.clusterId);
            if (slot != null && cluster != null && !cluster.paused) {
                due.add(new Due(policy, slot, "policy-" + policy.clusterId + "-" + policy.id + "-" + slot.getEpochSecond()));
            }
        }
        return moveOn(session, policies).chain(() -> claimAndEmit(session, due, now));
    }

    /** Stores every policy's new next fire time with one multi-row update. */
    private static Uni<Void> moveOn(org.hibernate.reactive.mutiny.Mutiny.Session session, List<PolicyRecord> policies) {
        StringBuilder sql = new StringBuilder("update policy as p set next_fire_at = v.next from (values ");
        for (int i = 0; i < policies.size(); i++) {
            int p = i * 3;
            sql.append(i == 0 ? "" : ", ").append("(?").append(p + 1).append(", ?").append(p + 2).append(", cast(?").append(p + 3)
                    .append(" as timestamptz))");
        }
        sql.append(") as v(cluster_id, id, next) where p.cluster_id = v.cluster_id and p.id = v.id");
        var update = session.createNativeQuery(sql.toString());
        for (int i = 0; i < policies.size(); i++) {
            PolicyRecord policy = policies.get(i);
            update.setParameter(i * 3 + 1, policy.clusterId).setParameter(i * 3 + 2, policy.id).setParameter(i * 3 + 3, policy.nextFireAt);
        }
        return update.executeUpdate().replaceWithVoid();
    }

    private Uni<Void> claimAndEmit(org.hibernate.reactive.mutiny.Mutiny.Session session, List<Due> due, Instant now) {
        if (due.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        StringBuilder sql = new StringBuilder("insert into fired_slot (cluster_id, policy_id, slot, request_id, fired_at) values ");
        for (int i = 0; i < due.size(); i++) {
            int p = i * 4;
            sql.append(i == 0 ? "" : ", ").append("(?").append(p + 1).append(", ?").append(p + 2).append(", ?").append(p + 3).append(", ?")
                    .append(p + 4).append(", now())");
        }
        sql.append(" on conflict do nothing returning request_id");
        var insert = session.createNativeQuery(sql.toString(), String.class);
        for (int i = 0; i < due.size(); i++) {
            Due slot = due.get(i);
            insert.setParameter(i * 4 + 1, slot.policy().clusterId).setParameter(i * 4 + 2, slot.policy().id).setParameter(i * 4 + 3, slot.slot())
                    .setParameter(i * 4 + 4, slot.requestId());
        }
        return insert.getResultList().chain(claimed -> {
            java.util.Set<String> ours = new java.util.HashSet<>(claimed);
            return outbox.emitAll(due.stream().filter(slot -> ours.contains(slot.requestId()))
                    .map(slot -> new SnapshotRequested(slot.requestId(), slot.policy().clusterId, SnapshotKind.valueOf(slot.policy().kind),
                            "schedule " + slot.policy().schedule + " (" + slot.policy().timeZone + ")", slot.policy().id, now))
                    .toList());
        });
    }

    /**
     * Moves the policy's next fire time past {@code now}; returns the slot to fire, or null when there is
     * none or it is beyond the starting deadline.
     */
    private static Instant advance(PolicyRecord policy, Instant now) {
        Schedule schedule = SCHEDULES.computeIfAbsent(policy.schedule + "\n" + policy.timeZone, key -> Schedule.parse(policy.schedule,
                policy.timeZone));
        if (SCHEDULES.size() > 10_000) {
            SCHEDULES.clear();
        }
        long offset = policy.offsetSeconds();
        Optional<Instant> latest = schedule.latest(now.minusSeconds(offset));
        policy.nextFireAt = schedule.next(latest.orElse(now.minusSeconds(offset))).orElse(Instant.MAX.minusSeconds(1)).plusSeconds(offset);
        if (latest.isEmpty()) {
            return null;
        }
        Instant slot = latest.get();
        Duration late = Duration.between(slot.plusSeconds(offset), now);
        if (late.getSeconds() > policy.startingDeadlineSeconds) {
            Log.infof("policy %s of cluster %s: slot %s missed by %s, beyond its starting deadline; next at %s", policy.id,
                    policy.clusterId, slot, late, policy.nextFireAt);
            return null;
        }
        return slot;
    }
}
