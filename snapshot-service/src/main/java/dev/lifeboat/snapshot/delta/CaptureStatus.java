package dev.lifeboat.snapshot.delta;

import java.time.Instant;

/**
 * What the capture of one cluster is doing on the instance that runs it.
 *
 * @param state            STARTING, WATCHING, RETRYING (etcd or S3 failing: {@code lastError} says why), GAP, STOPPED
 * @param receivedRevision the last revision received from etcd
 * @param etcdRevision     etcd's revision as the watch last reported it (progress notifications every second)
 * @param storedRevision   the last revision stored in a delta
 * @param openEvents       changes in the delta being written
 * @param openBytes        its plain bytes so far
 */
public record CaptureStatus(String clusterId, String chainId, String state, String endpoint, long receivedRevision, long etcdRevision,
        long storedRevision, long openEvents, long openBytes, Instant lastReceivedAt, Instant lastStoredAt, String lastError) {
}
