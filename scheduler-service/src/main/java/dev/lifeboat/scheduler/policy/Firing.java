package dev.lifeboat.scheduler.policy;

import dev.lifeboat.events.work.ClaimedWork;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.outbox.Outbox;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Fires due policies: each due slot becomes one event through the outbox — a FULL policy's a SnapshotRequested, a DRILL
 * policy's a DrillRequested of the newest full snapshot — with request id {@code policy-<cluster>-<policy>-<slot epoch
 * seconds>} (for a drill id longer than a DNS label, the cluster and policy are replaced by a hash of them).
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
    static final int BATCH = 10_000;
    /** Rows in one multi-row statement (PostgreSQL takes at most 65,535 parameters). */
    private static final int ROWS_PER_STATEMENT = 2000;
    private static final String DUE = """
            select p.cluster_id, p.id, p.schedule, p.time_zone, p.kind, p.jitter_seconds, p.starting_deadline_seconds, c.paused,
            p.drill_snapshot
            from policy p join cluster c on c.id = p.cluster_id
            where p.next_fire_at <= ?1 and p.kind in ('FULL', 'DRILL') order by p.next_fire_at limit %d for update of p skip locked""".formatted(BATCH);

    /** Parsed schedules by expression and zone: parsing a cron expression costs more than firing it. */
    private static final java.util.Map<String, Schedule> SCHEDULES = new java.util.concurrent.ConcurrentHashMap<>();

    private final Outbox outbox;
    private final Tracer tracer;
    /** The longest the firing thread sleeps without looking (see {@link #run}). */
    static final Duration MAX_SLEEP = Duration.ofSeconds(10);

    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean stopping;
    private Thread ticker;

    public Firing(Outbox outbox, Tracer tracer) {
        this.outbox = outbox;
        this.tracer = tracer;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = new Thread(this::run, "policy-firing");
        ticker.setDaemon(true);
        ticker.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (ticker != null) {
            ticker.interrupt();
        }
    }

    /**
     * Wakes the firing thread to look again: a policy was set, and its first slot may come before the one it sleeps
     * towards. Call it after the change committed.
     */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /**
     * Fires what is due, then sleeps until the next slot of any policy — at most {@link #MAX_SLEEP}, which bounds how late
     * a slot that another replica's change brought forward is noticed here (that replica fires it itself) — or until
     * {@link #wake}. An idle scheduler asks PostgreSQL twice per wake-up instead of ten times a second.
     */
    private void run() {
        long waitMillis = 1000;
        while (!stopping) {
            try {
                synchronized (signal) {
                    if (!woken && waitMillis > 0) {
                        signal.wait(waitMillis);
                    }
                    woken = false;
                }
                waitMillis = untilNext(tick());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                Log.warnf("policies could not be fired just now (trying again in a second): %s", e.getMessage());
                waitMillis = 1000;
            }
        }
    }

    /** Fires every due policy; returns when the next slot of any policy is. */
    private Instant tick() {
        int fired;
        do {
            fired = ClaimedWork.await(() -> fireDue(Instant.now()));
        } while (fired == BATCH);
        return ClaimedWork.await(() -> Panache.withSession(PolicyRecord::nextFireAt));
    }

    private static long untilNext(Instant next) {
        long millis = next == null ? MAX_SLEEP.toMillis() : Duration.between(Instant.now(), next).toMillis();
        return Math.max(0, Math.min(MAX_SLEEP.toMillis(), millis));
    }

    /**
     * Fires the policies due at {@code now}, set-based: one query locks up to {@link #BATCH} due policies
     * (with their cluster's pause state), multi-row inserts claim their slots (those another replica claimed
     * already come back absent) and write their events to the outbox, multi-row updates store the new
     * next-fire times — at most {@link #ROWS_PER_STATEMENT} rows a statement. Returns how many
     * policies were looked at.
     */
    public Uni<Integer> fireDue(Instant now) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(DUE, Object[].class).setParameter(1, now).getResultList()
                        .chain(rows -> rows.isEmpty() ? Uni.createFrom().item(0)
                                : fireAll(session, rows, now).replaceWith(rows.size()))));
    }

    /** A slot to fire: the policy and its request. */
    private record Due(PolicyRecord policy, Instant slot, String requestId) {
    }

    private Uni<Void> fireAll(org.hibernate.reactive.mutiny.Mutiny.Session session, List<Object[]> rows, Instant now) {
        List<PolicyRecord> policies = new java.util.ArrayList<>(rows.size());
        List<Due> due = new java.util.ArrayList<>();
        for (Object[] row : rows) {
            // the columns the firing needs, read as plain values: no entity to track for 10,000 policies
            PolicyRecord policy = new PolicyRecord();
            policy.clusterId = (String) row[0];
            policy.id = (String) row[1];
            policy.schedule = (String) row[2];
            policy.timeZone = (String) row[3];
            policy.kind = (String) row[4];
            policy.jitterSeconds = ((Number) row[5]).longValue();
            policy.startingDeadlineSeconds = ((Number) row[6]).longValue();
            boolean paused = Boolean.TRUE.equals(row[7]);
            policy.drillSnapshot = (String) row[8];
            policies.add(policy);
            Instant slot = advance(policy, now);
            if (slot != null && !paused) {
                due.add(new Due(policy, slot, "policy-" + policy.clusterId + "-" + policy.id + "-" + slot.getEpochSecond()));
            }
        }
        // slots and events first, so that the events' emit time is as close to the slot as it can be
        return inChunks(due, chunk -> claim(session, chunk))
                .chain(claimed -> {
                    java.util.Set<String> ours = new java.util.HashSet<>(claimed);
                    java.util.Map<Object, Context> traces = new java.util.IdentityHashMap<>();
                    List<LifeboatEvent> requests = due.stream().filter(slot -> ours.contains(slot.requestId())).map(slot -> {
                        LifeboatEvent request = request(slot, now);
                        traces.put(request, trace(slot));
                        return request;
                    }).toList();
                    return outbox.emitAll(requests, traces::get);
                })
                .chain(() -> inChunks(policies, chunk -> moveOn(session, chunk)))
                .replaceWithVoid();
    }

    /** What a slot asks for: a full snapshot, or a drill of the one the DRILL policy names (the newest, or one not drilled yet). */
    private static LifeboatEvent request(Due slot, Instant now) {
        PolicyRecord policy = slot.policy();
        if (PolicyKind.valueOf(policy.kind) == PolicyKind.DRILL) {
            return new DrillRequested(drillId(policy, slot.slot()), policy.clusterId, Policies.drillSnapshot(policy),
                    "policy " + policy.id, now);
        }
        return new SnapshotRequested(slot.requestId(), policy.clusterId, SnapshotKind.FULL,
                "schedule " + policy.schedule + " (" + policy.timeZone + ")", policy.id, now);
    }

    /** The slot's request id as a drill id (a DNS label): as it is when it fits, else with a hash for cluster and policy. */
    static String drillId(PolicyRecord policy, Instant slot) {
        return Ids.derived("policy-", "-" + slot.getEpochSecond(), policy.clusterId, policy.id);
    }

    /** One trace per fired slot, starting here: the backup it asks for continues it in every service. */
    private Context trace(Due slot) {
        Span span = tracer.spanBuilder("Firing.slot").setNoParent().setAttribute("lifeboat.cluster.id", slot.policy().clusterId)
                .setAttribute("lifeboat.policy.id", slot.policy().id).setAttribute("lifeboat.slot", slot.slot().toString())
                .setAttribute("lifeboat.request.id", slot.requestId()).startSpan();
        span.end();
        return Context.root().with(span);
    }

    /** Runs {@code statement} on consecutive chunks of at most {@link #ROWS_PER_STATEMENT} rows; collects what they return. */
    private static <T, R> Uni<List<R>> inChunks(List<T> rows, java.util.function.Function<List<T>, Uni<List<R>>> statement) {
        Uni<List<R>> all = Uni.createFrom().item(new java.util.ArrayList<>());
        for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
            List<T> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
            all = all.chain(done -> statement.apply(chunk).map(result -> {
                done.addAll(result);
                return done;
            }));
        }
        return all;
    }

    /** Stores every policy's new next fire time with one multi-row update. */
    private static Uni<List<Object>> moveOn(org.hibernate.reactive.mutiny.Mutiny.Session session, List<PolicyRecord> policies) {
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
        return update.executeUpdate().replaceWith(List.of());
    }

    /** Claims the slots with one multi-row insert; returns the request ids this transaction claimed (not another replica). */
    private static Uni<List<String>> claim(org.hibernate.reactive.mutiny.Mutiny.Session session, List<Due> due) {
        if (due.isEmpty()) {
            return Uni.createFrom().item(List.of());
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
        return insert.getResultList();
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
