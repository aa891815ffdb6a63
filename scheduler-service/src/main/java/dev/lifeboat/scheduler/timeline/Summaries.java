package dev.lifeboat.scheduler.timeline;

import dev.lifeboat.events.BackupPolicyDeleted;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.BackupRejected;
import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterDeleted;
import dev.lifeboat.events.CallAudited;
import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.ClusterUpdated;
import dev.lifeboat.events.DeltaGapDetected;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberRolledBack;
import dev.lifeboat.events.MemberSelfHealed;
import dev.lifeboat.events.RunDrill;
import dev.lifeboat.events.DrillCompleted;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillEnded;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.RollbackMember;
import dev.lifeboat.events.MemberRestored;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotCoalesced;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotFailed;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.SnapshotStarted;

/** One short line a person reads in the timeline, per event. */
final class Summaries {

    private Summaries() {
    }

    static String of(LifeboatEvent event) {
        if (event instanceof ClusterRegistered e) {
            return "cluster registered with " + e.spec().endpoints().size() + " endpoint(s)";
        } else if (event instanceof ClusterUpdated e) {
            return "cluster updated: " + e.spec().endpoints().size() + " endpoint(s)";
        } else if (event instanceof ClusterDeleted e) {
            return "cluster deleted" + (e.purgeSnapshots() ? ", snapshots to be purged" : ", snapshots kept");
        } else if (event instanceof BackupPolicySet e) {
            return e.kind() == SnapshotKind.DELTA ? "policy " + e.policyId() + " set: delta capture, written " + e.schedule() + " or every "
                    + e.deltaMaxBytes() + " bytes of changes" : "policy " + e.policyId() + " set: " + e.schedule() + " (" + e.timeZone() + ")";
        } else if (event instanceof BackupPolicyDeleted e) {
            return "policy " + e.policyId() + " deleted";
        } else if (event instanceof BackupRequested e) {
            return "backup requested by " + e.requester() + (e.reason() == null ? "" : ": " + e.reason());
        } else if (event instanceof BackupRejected e) {
            return "backup request " + e.requestId() + " rejected: " + e.reason();
        } else if (event instanceof SnapshotRequested e) {
            return "snapshot requested (" + e.requestId() + "): " + e.reason();
        } else if (event instanceof SnapshotStarted e) {
            return "snapshot " + e.snapshotId() + " started";
        } else if (event instanceof SnapshotCompleted e && e.kind() == SnapshotKind.DELTA) {
            return "delta " + e.snapshotId() + " stored: revisions " + e.firstRevision() + "–" + e.revision() + ", " + e.delta().events()
                    + " changes, " + e.rawSize() + " bytes (" + e.storedSize() + " stored)";
        } else if (event instanceof SnapshotCompleted e) {
            return "snapshot " + e.snapshotId() + " completed at revision " + e.revision() + ", " + e.rawSize() + " bytes ("
                    + e.storedSize() + " stored)";
        } else if (event instanceof DeltaGapDetected e) {
            return "delta capture lost changes after revision " + e.lastRevision() + ": " + e.reason();
        } else if (event instanceof SnapshotFailed e) {
            return "snapshot " + e.snapshotId() + " failed: " + e.reason();
        } else if (event instanceof SnapshotCoalesced e) {
            return "snapshot request " + e.requestId() + " answered by snapshot " + e.intoSnapshotId() + ", which started after it";
        } else if (event instanceof SnapshotDeleted e) {
            return "snapshot " + e.snapshotId() + " deleted" + (e.reason() == null ? "" : ": " + e.reason());
        } else if (event instanceof ClusterPauseRequested e) {
            return "pause requested by restore " + e.restoreId();
        } else if (event instanceof ClusterPaused e) {
            return "cluster paused" + (e.restoreId() == null ? "" : " for restore " + e.restoreId());
        } else if (event instanceof ClusterResumeRequested e) {
            return "resume requested by restore " + e.restoreId();
        } else if (event instanceof ClusterResumed e) {
            return "cluster resumed" + (e.restoreId() != null ? " after restore " + e.restoreId()
                    : " by " + e.resumedBy() + (e.reason() == null ? "" : ": " + e.reason()));
        } else if (event instanceof RestoreRequested e) {
            return "restore requested (" + e.mode() + ") from " + (e.snapshot() == null ? "a point in time" : e.snapshot());
        } else if (event instanceof RestorePhaseChanged e) {
            return "restore " + e.restoreId() + ": " + e.phase() + (e.error() == null ? "" : " — " + e.error());
        } else if (event instanceof RestoreMember e) {
            return "member " + e.memberName() + " told to restore from " + e.snapshotId();
        } else if (event instanceof MemberRestored e) {
            return "member " + e.memberName() + " restored at revision " + e.revision();
        } else if (event instanceof MemberRestoreFailed e) {
            return "member " + e.memberName() + " failed to restore: " + e.reason();
        } else if (event instanceof RollbackMember e) {
            return "member " + e.memberName() + " told to roll back restore " + e.restoreId();
        } else if (event instanceof CallAudited e) {
            return e.caller() + ": " + e.action() + (e.target() == null ? "" : " (" + e.target() + ")") + " → " + e.status();
        } else if (event instanceof MemberSelfHealed e && e.succeeded()) {
            return "member " + e.memberName() + " self-healed from snapshot " + e.snapshotId() + " (revision " + e.snapshotRevision()
                    + "), serving revision " + e.revision() + ": " + e.refusal();
        } else if (event instanceof MemberSelfHealed e) {
            return "member " + e.memberName() + " could not self-heal from snapshot " + e.snapshotId() + ": " + e.reason();
        } else if (event instanceof DrillRequested e) {
            return "drill " + e.drillId() + " of " + (e.toRevision() != null ? "the deltas up to revision " + e.toRevision()
                    : e.snapshot() == null || RestoreRequested.LATEST.equals(e.snapshot()) ? "the newest full snapshot"
                    : DrillRequested.UNDRILLED.equals(e.snapshot()) ? "the oldest full snapshot not drilled yet" : "snapshot " + e.snapshot())
                    + " asked for" + (e.requester() == null ? "" : " by " + e.requester());
        } else if (event instanceof RunDrill e) {
            return "member " + e.memberName() + " told to drill a restore of snapshot " + e.snapshotId() + (e.deltaIds().isEmpty() ? ""
                    : " + " + e.deltaIds().size() + " deltas up to revision " + e.revision());
        } else if (event instanceof DrillCompleted e) {
            return "drill " + e.drillId() + ": snapshot " + e.snapshotId() + " restored and served its " + e.observed().keys() + " keys at revision "
                    + e.revision() + (e.hashCompared() ? " with the recorded keyspace hash" : " (no recorded hash to compare)")
                    + "; a REPLACE takes about " + Math.round(e.times().recoveryMillis() / 1000.0) + " s";
        } else if (event instanceof DrillFailed e) {
            return "drill " + e.drillId() + ": snapshot " + e.snapshotId() + " failed at " + e.stage() + ": " + e.reason();
        } else if (event instanceof DrillEnded e) {
            return "drill " + e.drillId() + " of snapshot " + e.snapshotId() + (e.deltaIds().isEmpty() ? "" : " + " + e.deltaIds().size() + " deltas")
                    + (e.passed() ? " PASSED: the snapshot is proven restorable"
                    + (e.recoveryMillis() == null ? "" : " (recovery " + e.recoveryMillis() + " ms)") : " FAILED at " + e.stage() + ": " + e.reason());
        } else if (event instanceof MemberRolledBack e) {
            return "member " + e.memberName() + (e.succeeded() ? " rolled back to its pre-restore data" : " could not roll back: " + e.reason());
        }
        return event.getClass().getSimpleName();
    }
}
