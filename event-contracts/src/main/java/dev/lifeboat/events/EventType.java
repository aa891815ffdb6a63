package dev.lifeboat.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every event contract with its CloudEvents type ({@code ce_type}) and topic. A new version of a
 * contract is a new record and a new constant ({@code ...v2}); consumers keep reading v1 until it is
 * retired.
 */
public enum EventType {
    BACKUP_REQUESTED("lifeboat.backup.requested.v1", Topics.BACKUP_REQUESTS, BackupRequested.class),
    SNAPSHOT_REQUESTED("lifeboat.snapshot.requested.v1", Topics.SNAPSHOT_REQUESTS, SnapshotRequested.class),
    BACKUP_REJECTED("lifeboat.backup.rejected.v1", Topics.SNAPSHOT_REQUESTS, BackupRejected.class),
    SNAPSHOT_STARTED("lifeboat.snapshot.started.v1", Topics.SNAPSHOT_EVENTS, SnapshotStarted.class),
    SNAPSHOT_COMPLETED("lifeboat.snapshot.completed.v1", Topics.SNAPSHOT_EVENTS, SnapshotCompleted.class),
    SNAPSHOT_FAILED("lifeboat.snapshot.failed.v1", Topics.SNAPSHOT_EVENTS, SnapshotFailed.class),
    SNAPSHOT_COALESCED("lifeboat.snapshot.coalesced.v1", Topics.SNAPSHOT_EVENTS, SnapshotCoalesced.class),
    SNAPSHOT_DELETED("lifeboat.snapshot.deleted.v1", Topics.SNAPSHOT_EVENTS, SnapshotDeleted.class),
    SNAPSHOT_MISSING("lifeboat.snapshot.missing.v1", Topics.SNAPSHOT_EVENTS, SnapshotMissing.class),
    SNAPSHOT_FOUND("lifeboat.snapshot.found.v1", Topics.SNAPSHOT_EVENTS, SnapshotFound.class),
    DELTA_GAP_DETECTED("lifeboat.snapshot.delta-gap.v1", Topics.SNAPSHOT_EVENTS, DeltaGapDetected.class),
    CLUSTER_REGISTERED("lifeboat.cluster.registered.v1", Topics.CLUSTER_EVENTS, ClusterRegistered.class),
    CLUSTER_UPDATED("lifeboat.cluster.updated.v1", Topics.CLUSTER_EVENTS, ClusterUpdated.class),
    CLUSTER_DELETED("lifeboat.cluster.deleted.v1", Topics.CLUSTER_EVENTS, ClusterDeleted.class),
    BACKUP_POLICY_SET("lifeboat.cluster.policy-set.v1", Topics.CLUSTER_EVENTS, BackupPolicySet.class),
    BACKUP_POLICY_DELETED("lifeboat.cluster.policy-deleted.v1", Topics.CLUSTER_EVENTS, BackupPolicyDeleted.class),
    CLUSTER_PAUSED("lifeboat.cluster.paused.v1", Topics.CLUSTER_EVENTS, ClusterPaused.class),
    CLUSTER_RESUMED("lifeboat.cluster.resumed.v1", Topics.CLUSTER_EVENTS, ClusterResumed.class),
    CLUSTER_PAUSE_REQUESTED("lifeboat.cluster.pause-requested.v1", Topics.CLUSTER_COMMANDS, ClusterPauseRequested.class),
    CLUSTER_RESUME_REQUESTED("lifeboat.cluster.resume-requested.v1", Topics.CLUSTER_COMMANDS, ClusterResumeRequested.class),
    RESTORE_REQUESTED("lifeboat.restore.requested.v1", Topics.RESTORE_REQUESTS, RestoreRequested.class),
    RESTORE_PHASE_CHANGED("lifeboat.restore.phase-changed.v1", Topics.RESTORE_EVENTS, RestorePhaseChanged.class),
    DRILL_REQUESTED("lifeboat.restore.drill-requested.v1", Topics.RESTORE_REQUESTS, DrillRequested.class),
    DRILL_ENDED("lifeboat.restore.drill-ended.v1", Topics.RESTORE_EVENTS, DrillEnded.class),
    RESTORE_MEMBER("lifeboat.agent.restore-member.v1", Topics.AGENT_COMMANDS, RestoreMember.class),
    MEMBER_RESTORED("lifeboat.agent.member-restored.v1", Topics.AGENT_EVENTS, MemberRestored.class),
    MEMBER_RESTORE_FAILED("lifeboat.agent.member-restore-failed.v1", Topics.AGENT_EVENTS, MemberRestoreFailed.class),
    ROLLBACK_MEMBER("lifeboat.agent.rollback-member.v1", Topics.AGENT_COMMANDS, RollbackMember.class),
    MEMBER_ROLLED_BACK("lifeboat.agent.member-rolled-back.v1", Topics.AGENT_EVENTS, MemberRolledBack.class),
    MEMBER_SELF_HEALED("lifeboat.agent.member-self-healed.v1", Topics.AGENT_EVENTS, MemberSelfHealed.class),
    RUN_DRILL("lifeboat.agent.run-drill.v1", Topics.AGENT_COMMANDS, RunDrill.class),
    DRILL_COMPLETED("lifeboat.agent.drill-completed.v1", Topics.AGENT_EVENTS, DrillCompleted.class),
    DRILL_FAILED("lifeboat.agent.drill-failed.v1", Topics.AGENT_EVENTS, DrillFailed.class),
    CALL_AUDITED("lifeboat.audit.call.v1", Topics.AUDIT_EVENTS, CallAudited.class);

    private static final Map<String, EventType> BY_TYPE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(EventType::ceType, Function.identity()));
    private static final Map<Class<?>, EventType> BY_CLASS = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(EventType::contract, Function.identity()));

    private final String ceType;
    private final String topic;
    private final Class<? extends LifeboatEvent> contract;

    EventType(String ceType, String topic, Class<? extends LifeboatEvent> contract) {
        this.ceType = ceType;
        this.topic = topic;
        this.contract = contract;
    }

    public String ceType() {
        return ceType;
    }

    public String topic() {
        return topic;
    }

    public Class<? extends LifeboatEvent> contract() {
        return contract;
    }

    public static Optional<EventType> ofCeType(String ceType) {
        return Optional.ofNullable(BY_TYPE.get(ceType));
    }

    public static EventType of(LifeboatEvent event) {
        EventType type = BY_CLASS.get(event.getClass());
        if (type == null) {
            throw new IllegalArgumentException(event.getClass().getName() + " is not a registered event contract");
        }
        return type;
    }
}
