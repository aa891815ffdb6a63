package dev.lifeboat.agent.member;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.etcd.DataDirGuard;
import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.work.WakeableLoop;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Self-healing ({@code lifeboat.agent.self-heal}, one-member clusters): while the data dir check keeps etcd from starting
 * (the member's database is gone or corrupt, or a fresh volume under a cluster that has backups), the agent restores
 * the member from the cluster's newest completed full snapshot — what Gardener's initializer does. The restore is
 * {@link MemberRestorer}'s, step by step with its state file (crash-safe; the refused data dir is set aside as
 * {@code <data-dir>.pre-restore-<time>}, never deleted), under an id of its own ({@code self-heal-<UTC time>}), answered
 * with {@code MemberSelfHealed} on {@code lifeboat.agent-events}, which the cluster's timeline shows. A failed attempt
 * (no snapshot yet, snapshot-service down, etcd not serving the snapshot) is reported and tried again after
 * {@code self-heal-retry}.
 */
@ApplicationScoped
public class SelfHealer {

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd't'HHmmss'z'").withZone(ZoneOffset.UTC);

    private final AgentConfig config;
    private final EtcdSupervisor etcd;
    private final DataDirGuard guard;
    private final SnapshotDownload catalog;
    private final MemberRestorer restorer;
    private volatile Instant nextAttempt = Instant.EPOCH;
    private WakeableLoop checks;

    public SelfHealer(AgentConfig config, EtcdSupervisor etcd, DataDirGuard guard, SnapshotDownload catalog, MemberRestorer restorer) {
        this.config = config;
        this.etcd = etcd;
        this.guard = guard;
        this.catalog = catalog;
        this.restorer = restorer;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.selfHeal() && !guard.selfHealing()) {
            Log.warnf("lifeboat.agent.self-heal is on, but member %s is one of several (%s): a member of several is not healed from a "
                    + "snapshot (that would split it from its peers); it stays refused until restored or re-added", config.memberName(),
                    config.etcd().initialCluster().orElse(""));
        }
        if (guard.selfHealing()) {
            checks = WakeableLoop.start("self-heal", Duration.ofSeconds(2), Duration.ofSeconds(5), this::check);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(checks);
    }

    /** Every 5 s while self-healing is on (never two at once): heals the member if etcd is kept from starting and the last attempt is long enough ago. */
    void check() {
        String refusal = etcd.refusal();
        if (refusal == null || !guard.selfHealing() || Instant.now().isBefore(nextAttempt)) {
            return;
        }
        try {
            heal(refusal);
        } catch (RuntimeException e) {
            Log.warnf("member %s: self-healing failed: %s", config.memberName(), e.getMessage());
            nextAttempt = Instant.now().plus(config.selfHealRetry());
        }
    }

    /** One attempt: the newest completed full snapshot, restored as the agent's own restore. */
    void heal(String refusal) {
        Optional<SnapshotDownload.Newest> newest = catalog.newestFull(config.clusterId());
        if (newest.isEmpty()) {
            Log.warnf("member %s: etcd is not started (%s), and cluster %s has no completed full snapshot to heal it from; trying again in %s",
                    config.memberName(), refusal, config.clusterId(), config.selfHealRetry());
            nextAttempt = Instant.now().plus(config.selfHealRetry());
            return;
        }
        SnapshotDownload.Newest snapshot = newest.get();
        String healId = "self-heal-" + ID_TIME.format(Instant.now());
        Log.warnf("member %s: etcd is not started (%s); self-healing: restoring it from snapshot %s (revision %d, completed %s) as %s",
                config.memberName(), refusal, snapshot.id(), snapshot.revision(), snapshot.completedAt(), healId);
        AgentConfig.Etcd spec = config.etcd();
        RestoreMember command = new RestoreMember(healId, config.clusterId(), config.memberName(), snapshot.id(),
                List.of(new ClusterSpec.Member(config.memberName(), spec.peerUrl(), spec.clientUrl())), "lifeboat-" + healId,
                config.selfHealBumpRevision(), null, null);
        Optional<RestoreState> end = restorer.heal(command, refusal, snapshot.revision());
        if (end.isEmpty()) {
            Log.infof("member %s: a restore runs; self-healing waits for it", config.memberName());
            return;
        }
        RestoreState state = end.get();
        if (state.step == RestoreState.Step.DONE) {
            Log.infof("member %s self-healed: serves snapshot %s at revision %d; the refused data dir is kept at %s", config.memberName(),
                    snapshot.id(), state.revision, state.asideDir);
            nextAttempt = Instant.EPOCH;
        } else {
            Log.warnf("member %s: self-healing from snapshot %s failed (%s); trying again in %s", config.memberName(), snapshot.id(),
                    state.failure, config.selfHealRetry());
            nextAttempt = Instant.now().plus(config.selfHealRetry());
            etcd.start();
        }
    }
}
