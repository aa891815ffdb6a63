package dev.lifeboat.events;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kafka topics of Lifeboat. Every record is keyed by cluster id (agent commands by cluster and
 * member), so one cluster's events stay in order while clusters spread over partitions: more replicas
 * of a service handle more clusters through their consumer group.
 */
public final class Topics {

    /** One-time backup requests from any service or pipeline: {@link BackupRequested}. */
    public static final String BACKUP_REQUESTS = "lifeboat.backup-requests";
    /** The scheduler's decisions about backups: {@link SnapshotRequested}, or {@link BackupRejected}. */
    public static final String SNAPSHOT_REQUESTS = "lifeboat.snapshot-requests";
    /** Snapshot lifecycle: started, completed, failed, deleted. */
    public static final String SNAPSHOT_EVENTS = "lifeboat.snapshot-events";
    /** Cluster registrations, updates, deletions, pause and resume acknowledgements. */
    public static final String CLUSTER_EVENTS = "lifeboat.cluster-events";
    /** Requests to pause or resume a cluster, from restore-service to the scheduler. */
    public static final String CLUSTER_COMMANDS = "lifeboat.cluster-commands";
    /** Restore and drill requests from runbooks and other services: {@link RestoreRequested}, {@link DrillRequested}. */
    public static final String RESTORE_REQUESTS = "lifeboat.restore-requests";
    /** Restore saga progress: {@link RestorePhaseChanged}; drill verdicts: {@link DrillEnded}. */
    public static final String RESTORE_EVENTS = "lifeboat.restore-events";
    /** Commands to etcd-agents, keyed by cluster and member: {@link RestoreMember}. */
    public static final String AGENT_COMMANDS = "lifeboat.agent-commands";
    /** Replies of etcd-agents: {@link MemberRestored}, {@link MemberRestoreFailed}. */
    public static final String AGENT_EVENTS = "lifeboat.agent-events";
    /** Who did what through the REST APIs: {@link CallAudited}. */
    public static final String AUDIT_EVENTS = "lifeboat.audit-events";

    /** Prefix of each service's dead-letter topic: malformed or unprocessable records, with the reason. */
    public static final String DEAD_LETTER_PREFIX = "lifeboat.dead-letter.";

    /** Partitions of every cluster-keyed topic: the most replicas of one service that share the work. */
    public static final int PARTITIONS = 6;

    private Topics() {
    }

    /** The dead-letter topic of one service, for example {@code lifeboat.dead-letter.scheduler}. */
    public static String deadLetter(String service) {
        return DEAD_LETTER_PREFIX + service;
    }

    /** Every topic with its partition count, as the local stack creates them and operators should. */
    public static Map<String, Integer> all() {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String topic : new String[] {BACKUP_REQUESTS, SNAPSHOT_REQUESTS, SNAPSHOT_EVENTS, CLUSTER_EVENTS,
                CLUSTER_COMMANDS, RESTORE_REQUESTS, RESTORE_EVENTS, AGENT_COMMANDS, AGENT_EVENTS, AUDIT_EVENTS}) {
            topics.put(topic, PARTITIONS);
        }
        for (String service : new String[] {"scheduler", "snapshot", "retention", "restore", "agent"}) {
            topics.put(deadLetter(service), 1);
        }
        return topics;
    }
}
