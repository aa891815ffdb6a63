package dev.lifeboat.events;

import java.time.Instant;

/**
 * A restore drill is asked for over Kafka — by the scheduler when a {@code DRILL} policy's slot is due, or by a runbook or
 * pipeline; the same as {@code POST /api/v1/drills}. restore-service runs it (see {@link RunDrill}, {@link DrillEnded}).
 *
 * @param drillId   the same id twice is one drill
 * @param snapshot  a full snapshot's id, {@code latest} (null means latest), or {@code undrilled}: the oldest intact full
 *                  snapshot of the window restore-service keeps for it (24 h) that no drill judged yet — a DRILL policy with
 *                  it, fired at least as often as backups complete, drills each new full snapshot
 * @param requester who asked, for the drill's record (e.g. {@code policy nightly-drill})
 * @param toRevision for a point-in-time drill, the revision to reach: the drill replays the cluster's deltas onto their full
 *                  snapshot up to the newest delta end at or before it whose keyspace hash capture recorded, and compares
 *                  there; null for a drill of a full snapshot (then {@code snapshot} must be latest or absent when set)
 */
public record DrillRequested(String drillId, String clusterId, String snapshot, String requester, Instant requestedAt, Long toRevision)
        implements LifeboatEvent {

    /** The snapshot selector for the oldest full snapshot of the recent window that no drill judged yet. */
    public static final String UNDRILLED = "undrilled";

    /** A drill of a full snapshot (and events written before point-in-time drills). */
    public DrillRequested(String drillId, String clusterId, String snapshot, String requester, Instant requestedAt) {
        this(drillId, clusterId, snapshot, requester, requestedAt, null);
    }

    public DrillRequested {
        if (toRevision != null && toRevision < 1) {
            throw new IllegalArgumentException("toRevision must be a revision (1 or more), was " + toRevision);
        }
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        if (snapshot != null && !snapshot.isBlank() && !RestoreRequested.LATEST.equals(snapshot) && !UNDRILLED.equals(snapshot)) {
            Ids.require(snapshot, "snapshot");
        }
        Require.atMost(requester, 200, "requester");
        Require.present(requestedAt, "requestedAt");
    }
}
