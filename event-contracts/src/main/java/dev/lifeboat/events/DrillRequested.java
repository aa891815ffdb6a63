package dev.lifeboat.events;

import java.time.Instant;

/**
 * A restore drill is asked for over Kafka — by the scheduler when a {@code DRILL} policy's slot is due, or by a runbook or
 * pipeline; the same as {@code POST /api/v1/drills}. restore-service runs it (see {@link RunDrill}, {@link DrillEnded}).
 *
 * @param drillId   the same id twice is one drill
 * @param snapshot  a full snapshot's id, or {@code latest} (null means latest)
 * @param requester who asked, for the drill's record (e.g. {@code policy nightly-drill})
 */
public record DrillRequested(String drillId, String clusterId, String snapshot, String requester, Instant requestedAt) implements LifeboatEvent {

    public DrillRequested {
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        if (snapshot != null && !snapshot.isBlank() && !RestoreRequested.LATEST.equals(snapshot)) {
            Ids.require(snapshot, "snapshot");
        }
        Require.atMost(requester, 200, "requester");
        Require.present(requestedAt, "requestedAt");
    }
}
