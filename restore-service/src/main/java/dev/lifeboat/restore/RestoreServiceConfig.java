package dev.lifeboat.restore;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What restore-service can be told, under {@code lifeboat.restore}. */
@ConfigMapping(prefix = "lifeboat.restore")
public interface RestoreServiceConfig {

    /** Where snapshots are downloaded and decoded while a restore runs; files are removed when it ends. */
    @WithDefault("${java.io.tmpdir}/lifeboat-restore")
    String workDir();

    /** Operations in one etcd transaction; etcd refuses more than its {@code --max-txn-ops} (default 128). */
    @WithDefault("128")
    int txnMaxOps();

    /** Bytes of keys and values in one transaction; etcd refuses requests over {@code --max-request-bytes} (1.5 MiB). */
    @WithDefault("1500000")
    int txnMaxBytes();

    /** Transactions in flight at once; etcd batches concurrent proposals into one disk sync. */
    @WithDefault("8")
    int txnsInFlight();

    /** How long PAUSING waits for the scheduler's ClusterPaused, and RESUMING for ClusterResumed. */
    @WithDefault("60s")
    Duration ackTimeout();

    /** How long an instance's claim on a restore lasts without a heartbeat before another instance continues it. */
    @WithDefault("30s")
    Duration claimDuration();

    /**
     * How often idle instances look for work nobody woke them for: a restore whose claim lapsed because the
     * instance driving it stopped. A restore or rollback asked for here wakes them at once.
     */
    @WithDefault("10s")
    Duration pollInterval();

    /** REPLACE: how long RESTORING waits for every etcd-agent's answer (fetch, etcd's restore, start). */
    @WithDefault("15m")
    Duration memberTimeout();

    /**
     * REPLACE: the smallest revision bump asked of each member's restore where its etcd supports it
     * (etcdutl 3.5+, with {@code --mark-compacted}), so Kubernetes watch caches re-list. The bump is
     * raised to twice the revisions known to be written after the restored one when that is larger
     * ({@link dev.lifeboat.restore.saga.RevisionBump}); 0 for none.
     */
    @WithDefault("1000000000")
    long bumpRevision();

    /** Restore drills. */
    Drill drill();

    interface Drill {

        /**
         * How long one attempt may take, from RunDrill to the agent's verdict (queueing behind another drill on that
         * agent, fetch, restore, start, compare); past it the drill is sent again, to the cluster's next member.
         */
        @WithDefault("30m")
        Duration timeout();

        /** RunDrill commands per drill, the first included; after the last one expires the drill is FAILED (stage timeout). */
        @WithDefault("3")
        int attempts();

        /** How often running drills are checked for an attempt that expired. */
        @WithDefault("10s")
        Duration checkEvery();

        /**
         * REPLACE restores whose request does not say ({@code drillFirst} absent): prove the snapshot restorable with a
         * drill first, unless one already passed.
         */
        @WithDefault("false")
        boolean beforeReplace();

        /**
         * A drill of snapshot {@code undrilled} takes the oldest full snapshot completed within this window that no drill
         * judged yet: a DRILL policy with it drills each new full snapshot within the window, as long as it fires at least as
         * often as backups complete.
         */
        @WithDefault("24h")
        Duration undrilledWindow();
    }

    /** Hooks run after the scheduler paused the cluster (before anything is fetched). */
    Hooks pause();

    /** Hooks run when the cluster is handed back (after a restore, or after a failure before any write). */
    Hooks resume();

    interface Hooks {

        /** An HTTP webhook: POSTed a JSON body with restoreId, clusterId and hook; any 2xx answer means done. */
        Optional<String> url();

        /** A command (program and arguments, no shell); exit code 0 means done. Gets LIFEBOAT_RESTORE_ID, LIFEBOAT_CLUSTER_ID, LIFEBOAT_HOOK. */
        Optional<List<String>> command();

        /** Longest each hook may take; a hook over it fails the restore. */
        @WithDefault("60s")
        Duration timeout();
    }
}
