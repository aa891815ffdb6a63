package dev.lifeboat.restore.saga;

import java.util.List;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.projection.ClusterProjection;
import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.restore.knowledge.DeltaGapRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;

/**
 * The rules that decide whether a restore or a rollback may run, as plain functions of what was asked and
 * what is known: each returns what to do, or throws a {@link RestoreRefusedException} that names the field
 * and says why. {@link RestoreRequests} and {@link Rollbacks} read the facts and apply these; nothing here
 * touches a database, so every rule has a unit test that runs without servers.
 */
public final class RestoreRules {

    private RestoreRules() {
    }

    /** What a request restores: a full snapshot, and for a point in time the plan of deltas to replay onto it. */
    /** What a request restores: the full snapshot, the plan of a point in time (or null), and a note for people (or null). */
    public record Choice(SnapshotRecord snapshot, RecoveryChains.Plan plan, String note) {
    }

    /** The cluster written to: the named target, or the snapshot's own cluster. */
    public static String target(RestoreRequested request) {
        return request.targetCluster() == null || request.targetCluster().isBlank() ? request.clusterId() : request.targetCluster();
    }

    public static boolean pointInTime(RestoreRequested request) {
        return request.toRevision() != null || request.toTime() != null;
    }

    /** The snapshot a request names: an id, or {@link RestoreRequested#LATEST} when it names none. */
    public static String wantedSnapshot(RestoreRequested request) {
        return request.snapshot() == null || request.snapshot().isBlank() ? RestoreRequested.LATEST : request.snapshot();
    }

    /** The rules a request must follow on its own, before anything is read (400). */
    public static void checkShape(RestoreRequested request) {
        if (request.mode() == RestoreMode.REPLACE && request.keyPrefix() != null && !request.keyPrefix().isEmpty()) {
            throw refusal(400, "keyPrefix", "mode REPLACE replaces the whole keyspace of every member; restoring one key prefix needs mode API");
        }
        if (request.toRevision() != null && request.toTime() != null) {
            throw refusal(400, "toTime", "name either toRevision or toTime, not both");
        }
        if (Boolean.TRUE.equals(request.drillFirst()) && (request.mode() != RestoreMode.REPLACE || request.dryRun())) {
            throw refusal(400, "drillFirst", "drillFirst proves the snapshot restorable before a REPLACE replaces the members' data; "
                    + "it needs mode REPLACE without dryRun (an API restore verifies every key it writes)");
        }
        if (pointInTime(request) && !RestoreRequested.LATEST.equals(wantedSnapshot(request))) {
            throw refusal(400, "snapshot", "a point-in-time restore picks its full snapshot and deltas itself; leave snapshot out "
                    + "or name a snapshot without toRevision/toTime");
        }
        if (request.toRevision() != null && request.toRevision() < 1) {
            throw refusal(400, "toRevision", "toRevision must be a revision (1 or more), not " + request.toRevision());
        }
        String target = target(request);
        if (!target.equals(request.clusterId()) && !request.allowCrossCluster()) {
            throw refusal(400, "targetCluster", "restoring a snapshot of cluster '" + request.clusterId() + "' into cluster '" + target
                    + "' needs allowCrossCluster: true");
        }
    }

    /** The cluster {@code id} (as read; null when unknown) is registered (404 otherwise). */
    public static void requireCluster(ClusterProjection cluster, String id, String field) {
        if (cluster == null || cluster.deleted) {
            throw refusal(404, field, "cluster '" + id + "' is not registered with Lifeboat");
        }
    }

    /** A REPLACE needs the target's members (400 otherwise). */
    public static void requireMembers(ClusterProjection cluster) {
        if (cluster.spec().members().isEmpty()) {
            throw refusal(400, "mode", "cluster '" + cluster.id + "' has no members registered; mode REPLACE needs each member's name, "
                    + "peer and client URL and an etcd-agent on it (update the cluster), or use mode API");
        }
    }

    /**
     * What {@code latest} restores: the newest of the cluster's full snapshots ({@code newestFirst}, not deleted) whose
     * object is intact; when newer ones are missing, the note says which were passed over and why.
     */
    public static Choice latest(RestoreRequested request, List<SnapshotRecord> newestFirst) {
        return latest(request.clusterId(), newestFirst);
    }

    /** {@code latest} of the cluster: the newest full snapshot whose object is intact, with a note on what was passed over (404 if none). */
    public static Choice latest(String clusterId, List<SnapshotRecord> newestFirst) {
        List<SnapshotRecord> passed = new java.util.ArrayList<>();
        for (SnapshotRecord candidate : newestFirst) {
            if (!candidate.missing) {
                String note = passed.isEmpty() ? null : "latest: restoring snapshot " + candidate.id + ", the newest intact one; passed over "
                        + String.join("; ", passed.stream().map(p -> "snapshot " + p.id + " (" + p.missingReason + ")").toList());
                return new Choice(candidate, null, note);
            }
            passed.add(candidate);
        }
        throw refusal(404, "snapshot", "cluster '" + clusterId + "' has no completed full snapshot" + (passed.isEmpty() ? ""
                : " whose object is intact: " + String.join("; ", passed.stream().map(p -> "snapshot " + p.id + " (" + p.missingReason + ")").toList())));
    }

    /** The named snapshot a request restores, given what was found for {@link #wantedSnapshot} (null: none). */
    public static SnapshotRecord requireSnapshot(RestoreRequested request, SnapshotRecord found) {
        String wanted = wantedSnapshot(request);
        requireRestorable(wanted, found);
        if (!found.clusterId.equals(request.clusterId()) && !request.allowCrossCluster()) {
            throw refusal(400, "snapshot", "snapshot '" + wanted + "' belongs to cluster '" + found.clusterId + "', not '"
                    + request.clusterId() + "' (allowCrossCluster: true restores it anyway)");
        }
        return found;
    }

    /** The named snapshot ({@code wanted}, found as {@code found}, null: not found) is a full one whose object is intact. */
    public static SnapshotRecord requireRestorable(String wanted, SnapshotRecord found) {
        if (found == null) {
            throw refusal(404, "snapshot", "snapshot '" + wanted + "' is not a completed snapshot Lifeboat knows");
        }
        if (found.deleted) {
            throw refusal(400, "snapshot", "snapshot '" + wanted + "' was deleted");
        }
        if (found.missing) {
            throw refusal(409, "snapshot", "snapshot '" + wanted + "' cannot be restored: " + found.missingReason + " (retention-service "
                    + "found it so; restore another snapshot, or put the object back and let retention find it)");
        }
        if (found.kind != SnapshotKind.FULL) {
            throw refusal(400, "snapshot", "snapshot '" + wanted + "' is a " + found.kind + " snapshot; name a full one");
        }
        return found;
    }

    /**
     * The plan to reach the requested revision or time from the cluster's snapshots (not deleted) and deltas;
     * a target no chain reaches is refused with what can be restored and the most recent {@code gaps} capture
     * recorded.
     */
    public static Choice plan(RestoreRequested request, List<SnapshotRecord> rows, List<DeltaGapRecord> gaps) {
        List<RecoveryChains.Full> fulls = rows.stream().filter(r -> r.kind == SnapshotKind.FULL).map(SnapshotRecord::asFull).toList();
        List<RecoveryChains.Delta> deltas = rows.stream().filter(r -> r.kind == SnapshotKind.DELTA && r.chainId != null)
                .map(SnapshotRecord::asDelta).toList();
        RecoveryChains.Plan plan;
        try {
            plan = request.toRevision() != null ? RecoveryChains.forRevision(fulls, deltas, request.toRevision())
                    : RecoveryChains.forTime(fulls, deltas, request.toTime());
        } catch (RecoveryChains.NotCoveredException e) {
            throw refusal(400, request.toRevision() != null ? "toRevision" : "toTime", "cluster '" + request.clusterId() + "': " + e.getMessage()
                    + (gaps.isEmpty() ? "" : "; recorded gaps: " + String.join("; ", gaps.stream()
                            .map(g -> "after revision " + g.lastRevision + " (" + g.reason + ", " + g.detectedAt + ")").toList())));
        }
        SnapshotRecord full = rows.stream().filter(r -> r.id.equals(plan.full().id())).findFirst().orElseThrow();
        return new Choice(full, plan, null);
    }

    /** One restore per cluster at a time: {@code running} is the target's unfinished restore, or null (409 otherwise). */
    public static void requireIdle(String target, RestoreRecord running) {
        if (running != null) {
            throw refusal(409, "cluster", "restore " + running.id + " of cluster '" + target + "' is running (phase " + running.phase
                    + "); one restore per cluster at a time");
        }
    }

    /**
     * Two requests for the same cluster at the same moment both passed {@link #requireIdle}; the database let one in
     * (the unique index on a cluster's unfinished restore) and this is the other's answer: 409, as if it had come later.
     */
    public static RestoreRefusedException raced(String target) {
        return refusal(409, "cluster", "another restore of cluster '" + target + "' was accepted at the same moment; one restore per cluster "
                + "at a time");
    }

    /**
     * Whether a rollback of {@code restore} (null: unknown) starts now: true when it may, false when one was
     * already asked for or succeeded (asking again changes nothing); refused when the restore kept no data
     * dirs, still runs, changed no member, another restore of its cluster ({@code running}) runs now, or a later
     * restore of its cluster ({@code later}, the ones created after it) changed the cluster and was not rolled
     * back: putting the older pre-restore data back would throw away that restore and every write since. Only
     * the latest restore that changed a cluster rolls back (roll back the later one first).
     */
    public static boolean rollbackStarts(String id, RestoreRecord restore, RestoreRecord running, List<RestoreRecord> later) {
        if (restore == null) {
            throw refusal(404, "id", "restore '" + id + "' is unknown");
        }
        if (running != null && !running.id.equals(id)) {
            throw refusal(409, "cluster", "restore " + running.id + " of cluster '" + restore.targetCluster + "' is running (phase "
                    + running.phase + "); roll back once it ended");
        }
        if (restore.mode != RestoreMode.REPLACE) {
            throw refusal(409, "mode", "restore " + id + " ran in mode " + restore.mode + ", which keeps no data dirs to put back; "
                    + "restore an earlier snapshot instead");
        }
        if (!restore.phase.terminal()) {
            throw refusal(409, "phase", "restore " + id + " is still running (phase " + restore.phase + "); roll back once it ended");
        }
        if (!restore.membersCommanded) {
            throw refusal(409, "phase", "restore " + id + " ended before any member was changed; there is nothing to roll back");
        }
        RollbackState state = restore.rollback.state;
        if (state == RollbackState.REQUESTED || state == RollbackState.ROLLED_BACK) {
            return false;
        }
        RestoreRecord newer = later.stream().filter(RestoreRules::changedTheCluster).findFirst().orElse(null);
        if (newer != null) {
            throw refusal(409, "id", "restore " + newer.id + " (" + newer.mode + ", " + newer.createdAt + ") changed cluster '"
                    + restore.targetCluster + "' after restore " + id + "; only the latest restore of a cluster can be rolled back "
                    + "(roll back " + newer.id + " first, if it kept its data dirs)");
        }
        return true;
    }

    /** Whether a restore changed its cluster's data and still stands: not a dry run, members replaced or keys written, not rolled back. */
    static boolean changedTheCluster(RestoreRecord restore) {
        if (restore.dryRun || restore.rollback.state == RollbackState.ROLLED_BACK) {
            return false;
        }
        return restore.mode == RestoreMode.REPLACE ? restore.membersCommanded
                : restore.phases != null && restore.phases.startedAt(RestorePhase.RESTORING) != null;
    }

    private static RestoreRefusedException refusal(int status, String field, String message) {
        return new RestoreRefusedException(status, field, message);
    }
}
