package dev.lifeboat.agent.messaging;

import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.drill.Drills;
import dev.lifeboat.agent.member.MemberRestorer;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillTimes;
import dev.lifeboat.events.RunDrill;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.ReceivedEvent;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberRolledBack;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RollbackMember;
import dev.lifeboat.events.runtime.Traces;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.quarkus.logging.Log;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the agent hears: commands for its member, run one after the other on a worker thread (the
 * offset is committed when a command is done and answered, so a crash means a redelivery, which the
 * state files recognise), and restore outcomes of its cluster. A malformed command goes to the
 * agent's dead-letter topic with the reason. Restore drills are handed to {@link Drills}, which runs them on a thread of
 * its own.
 */
@ApplicationScoped
public class AgentCommands {

    private final AgentConfig config;
    private final MemberRestorer restorer;
    private final Replies replies;
    private final Drills drills;
    private final RestoreEventsGate restoreEvents;

    private final Tracer tracer;

    public AgentCommands(AgentConfig config, MemberRestorer restorer, Replies replies, Drills drills, RestoreEventsGate restoreEvents, Tracer tracer) {
        this.config = config;
        this.restoreEvents = restoreEvents;
        this.drills = drills;
        this.restorer = restorer;
        this.replies = replies;
        this.tracer = tracer;
    }

    /** A command of this member runs in a span of the restore's trace (from the record's traceparent); its answer carries it on. */
    @Incoming("agent-commands")
    @Blocking(ordered = true)
    public void onCommand(ConsumerRecord<String, byte[]> record) {
        ReceivedEvent<LifeboatEvent> received = EventCodec.decode(record);
        LifeboatEvent command = received.payload();
        if (command instanceof RunDrill drill) {
            if (mine(drill.clusterId(), drill.memberName())) {
                drill(received.time(), drill);
            }
            return;
        }
        boolean mine = command instanceof RestoreMember r ? mine(r.clusterId(), r.memberName())
                : command instanceof RollbackMember b && mine(b.clusterId(), b.memberName());
        if (!mine) {
            return;
        }
        org.apache.kafka.common.header.Header traceparent = record.headers().lastHeader("traceparent");
        Span span = tracer.spanBuilder((command instanceof RestoreMember ? "restore member " : "roll back member ") + config.memberName())
                .setParent(Traces.parent(traceparent == null ? null : new String(traceparent.value(), java.nio.charset.StandardCharsets.UTF_8)))
                .setAttribute("lifeboat.cluster.id", config.clusterId()).setAttribute("lifeboat.member", config.memberName())
                .setAttribute("lifeboat.restore.id", command instanceof RestoreMember r ? r.restoreId() : ((RollbackMember) command).restoreId())
                .startSpan();
        try (Scope scope = span.makeCurrent()) {
            handle(received.time(), command);
        } finally {
            span.end();
        }
    }

    private void handle(Instant sentAt, LifeboatEvent command) {
        if (command instanceof RestoreMember restore && mine(restore.clusterId(), restore.memberName())) {
            boolean known = restorer.knows(restore.restoreId());
            String stale = known ? null : stale(sentAt, restore.expiresAt(), restore.restoreId());
            if (stale == null && !known) {
                stale = RestoreEventsGate.outlivesLookBack(config, restore.restoreId(), sentAt, restore.expiresAt());
                if (stale != null) {
                    Log.warnf("%s", stale);
                }
            }
            if (stale == null) {
                if (!known) {
                    catchUp(restore.restoreId());
                }
                restorer.restore(restore);
            } else {
                replies.send(new MemberRestoreFailed(restore.restoreId(), restore.clusterId(), restore.memberName(), stale, false, Instant.now()),
                        restore.restoreId() + "/" + restore.memberName() + "/stale");
            }
        } else if (command instanceof RollbackMember rollback && mine(rollback.clusterId(), rollback.memberName())) {
            String stale = restorer.knows(rollback.restoreId()) ? null : stale(sentAt, rollback.expiresAt(), rollback.restoreId());
            if (stale == null) {
                restorer.rollback(rollback);
            } else {
                replies.send(new MemberRolledBack(rollback.restoreId(), rollback.clusterId(), rollback.memberName(), false, stale, Instant.now()),
                        rollback.restoreId() + "/" + rollback.memberName() + "/stale-rollback");
            }
        }
    }

    /**
     * Before a new restore runs: every restore outcome Kafka has is heard first ({@link RestoreEventsGate}), so a
     * command whose restore already failed is refused, not run.
     */
    private void catchUp(String restoreId) {
        long start = System.nanoTime();
        String behind = restoreEvents.awaitCaughtUp(config.restoreEventsCatchUp());
        if (behind != null) {
            Log.warnf("restore %s: runs without knowing every restore outcome (waited %s): %s", restoreId, config.restoreEventsCatchUp(), behind);
        } else if (System.nanoTime() - start > 1_000_000_000L) {
            Log.infof("restore %s: waited %d ms for the restore events published before its command", restoreId, (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** A drill runs on its own thread ({@link Drills}); one that arrives after it expired is answered as refused. */
    private void drill(Instant sentAt, RunDrill drill) {
        Instant deadline = drill.expiresAt() != null ? drill.expiresAt() : sentAt.plus(config.commandMaxAge());
        if (Instant.now().isAfter(deadline)) {
            replies.send(new DrillFailed(drill.drillId(), drill.clusterId(), drill.memberName(), drill.snapshotId(), "refused",
                    "the drill command reached etcd-agent " + config.memberName() + " after " + deadline + "; not run",
                    new DrillTimes(0, 0, 0, 0, 0), Instant.now()), Drills.replySeed(drill, "refused"));
            return;
        }
        drills.submit(drill);
    }

    @Incoming("restore-events")
    @Blocking(ordered = true)
    public void onRestoreEvent(ConsumerRecord<String, byte[]> record) {
        try {
            if (config.clusterId().equals(record.key()) && EventCodec.decode(record).payload() instanceof RestorePhaseChanged changed) {
                if (changed.phase() == RestorePhase.COMPLETED) {
                    restorer.sagaCompleted(changed.restoreId(), changed.at());
                } else if (changed.phase() == RestorePhase.FAILED) {
                    restorer.sagaFailed(changed.restoreId());
                }
            }
        } finally {
            restoreEvents.handled(record);
        }
    }

    private boolean mine(String clusterId, String memberName) {
        return config.clusterId().equals(clusterId) && config.memberName().equals(memberName);
    }

    /**
     * Why a command arrived too late to run, or null when it may run: after its {@code expiresAt} (the saga no longer
     * waits for it), or — for a command without one — more than {@code command-max-age} after it was created
     * (its {@code ce_time}: when the saga wrote it, not when the relay sent it).
     */
    private String stale(Instant createdAt, Instant expiresAt, String restoreId) {
        Instant now = Instant.now();
        Instant deadline = expiresAt != null ? expiresAt : createdAt.plus(config.commandMaxAge());
        if (!now.isAfter(deadline)) {
            return null;
        }
        String reason = "the command of restore " + restoreId + " (created " + createdAt + ") reached etcd-agent " + config.memberName() + " at "
                + now + ", after " + (expiresAt != null ? "the restore stopped waiting for it (" + expiresAt + ")"
                        : "the agent's command-max-age of " + config.commandMaxAge()) + "; not run";
        Log.warnf("%s", reason);
        return reason;
    }
}
