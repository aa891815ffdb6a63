package dev.lifeboat.agent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What an etcd-agent can be told, under {@code lifeboat.agent}. One agent serves one etcd member. */
@ConfigMapping(prefix = "lifeboat.agent")
public interface AgentConfig {

    /** The Lifeboat cluster id of the member's cluster, as registered with scheduler-service. */
    String clusterId();

    /** The member's name: etcd's {@code --name}, and the name in the cluster's member list. */
    String memberName();

    /**
     * How the member's etcd runs: {@code process}, a child process of the agent (VMs, {@code make run}); or
     * {@code static-pod}, the kubelet runs it from a static pod manifest (kubeadm) and the agent stops and starts it by
     * moving the manifest out of the kubelet's folder and back ({@link #staticPod()}). Anything else is refused at start,
     * before the agent touches any etcd or data dir.
     */
    @WithDefault("process")
    String runtime();

    /** The static-pod runtime: where the kubelet's manifests are, and which ones stop with etcd. */
    StaticPod staticPod();

    /** The etcd process the agent supervises. */
    Etcd etcd();

    /** Where the agent keeps its state files (one per restore); default {@code <data-dir>.agent}. */
    Optional<String> stateDir();

    /**
     * etcd's restore tool: {@code etcdutl} (etcd 3.5+) when found, else {@code etcdctl} (3.4). A path or a
     * program on the PATH.
     */
    @WithDefault("etcdctl")
    String etcdctl();

    /** etcdutl, preferred over etcdctl for restores when it exists (etcd 3.5+). */
    @WithDefault("etcdutl")
    String etcdutl();

    /** snapshot-service's base URL: the agent fetches the plain snapshot from {@code /api/v1/snapshots/{id}/content}. */
    @WithDefault("http://127.0.0.1:8082")
    String snapshotServiceUrl();

    /**
     * The bearer token the agent fetches content with, as a reference ({@code file:/path}, read at each fetch, so a
     * rotated token — a Kubernetes projected service-account token — is picked up; or {@code env:NAME}). It needs
     * the role restorer, for this member's cluster.
     */
    Optional<String> snapshotServiceToken();

    /** How long etcd may take to answer {@code /health} after a start before the start counts as failed. */
    @WithDefault("60s")
    Duration healthTimeout();

    /** First pause before restarting an etcd that exited on its own; doubles up to {@link #restartMaxBackoff()}. */
    @WithDefault("1s")
    Duration restartBackoff();

    @WithDefault("30s")
    Duration restartMaxBackoff();

    /**
     * Commands older than this when they arrive are refused, not run: a new agent reading the command
     * topic from its start must never replay an old restore onto its member.
     */
    @WithDefault("30m")
    Duration commandMaxAge();

    /**
     * Before a new restore command runs, the agent reads every restore outcome Kafka has, waiting at most this long
     * ({@link dev.lifeboat.agent.messaging.RestoreEventsGate}): a command whose restore already failed on another
     * member is refused instead of run. After the wait the command runs anyway, with a warning.
     */
    @WithDefault("30s")
    Duration restoreEventsCatchUp();

    /**
     * How far back the agent reads the restore events again when it starts
     * ({@link dev.lifeboat.agent.messaging.RestoreEventsGate}); never less than {@link #commandMaxAge()}. A restore
     * command that may still run longer than this after it was created (its {@code expiresAt}: a restore-service
     * {@code member-timeout} above it) is refused: after a restart the agent could no longer learn that its restore
     * had failed. Restore events are few (a handful per restore), so reading a day of them costs next to nothing.
     */
    @WithDefault("24h")
    Duration restoreEventsLookBack();

    /**
     * Point-in-time REPLACE: the directory under which the replay writes the snapshot at the target
     * revision and keeps the delta it is reading ({@code replay-<restore id>}); default beside the data
     * dir. It needs room for the snapshot's db once more.
     */
    Optional<String> replayDir();

    /**
     * Whether etcd's data dir is checked before each start ({@link dev.lifeboat.agent.etcd.DataDirGuard}): a member that
     * served data is not started on an empty or corrupt data dir. Reads the database once per start.
     */
    @WithDefault("true")
    boolean checkDataDir();

    /**
     * With {@code check-data-dir}, for a one-member cluster: before each start, compare the database's revision with the
     * catalog's newest completed full snapshot of the same etcd cluster (its etcd cluster id equals the one in the data
     * dir's WAL); a database older than a backup taken from it lost writes (an older copy of the disk), and etcd is not
     * started on it. Skipped when the catalog cannot be asked.
     */
    @WithDefault("true")
    boolean checkRevision();

    /**
     * Self-healing, for a one-member cluster (off by default; ignored, with a warning, for a member of several): when the
     * data dir check refuses to start etcd — the database is gone or corrupt while the member had served data — the agent
     * restores the member from the cluster's newest completed full snapshot by itself, sets the refused data dir aside
     * (never deleted), and reports {@code MemberSelfHealed} (the cluster's timeline shows it). With it on, an empty data
     * dir with no record of serving (a fresh volume) is not started as a new empty cluster while the catalog holds a
     * completed full snapshot of the cluster, or cannot be asked: it is restored from it too.
     */
    @WithDefault("false")
    boolean selfHeal();

    /** How long the agent waits before trying to self-heal again after an attempt failed (no snapshot, snapshot-service down). */
    @WithDefault("1m")
    Duration selfHealRetry();

    /** The revision bump of a self-heal restore (etcdutl 3.5+ only, with {@code --mark-compacted}); 0 for none. */
    @WithDefault("1000000000")
    long selfHealBumpRevision();

    /**
     * Where restore drills restore and start their scratch etcd ({@code <drill-dir>/<drill id>/}); default beside the data
     * dir ({@code <data-dir>.drills}). It needs room for the snapshot's db twice; its content is removed after each drill
     * and at every start.
     */
    Optional<String> drillDir();

    /**
     * What a restore drill leaves free on the drill dir's file system: a drill needs the snapshot's db twice (the fetched
     * file and the restored data dir) and is not run (stage {@code no-room}, the next member is asked) when that would leave
     * less than this — the member's own etcd often shares the disk.
     */
    @WithDefault("1G")
    MemorySize drillKeepFree();

    /** How many keys a restore drill reads back through the scratch etcd's API and compares with the snapshot file. */
    @WithDefault("100")
    int drillSample();

    /** How long the pre-restore data dir of a restore that COMPLETED is kept (for rollback) before it is removed. */
    @WithDefault("24h")
    Duration keepPreRestore();

    /**
     * The most the kept copies of this member's data (pre-restore data dirs of completed restores, data dirs a
     * rollback replaced) may take together; above it the oldest are released first. A failed restore's pre-restore
     * data dir is never released.
     */
    @WithDefault("16G")
    MemorySize preRestoreMaxSize();

    interface Etcd {

        /** The etcd binary: a path or a program on the PATH. */
        @WithDefault("etcd")
        String binary();

        /** The member's data dir; the agent owns it. */
        String dataDir();

        /** The client URL etcd listens on and advertises; the agent probes its {@code /health} there. */
        String clientUrl();

        /** The peer URL etcd listens on and advertises. */
        String peerUrl();

        /** {@code --initial-cluster} for a first start; default: this member alone. */
        Optional<String> initialCluster();

        /** {@code --initial-cluster-token} for a first start. */
        @WithDefault("lifeboat")
        String initialClusterToken();

        /** More etcd flags, as separate arguments ({@code --quota-backend-bytes,8589934592}). */
        Optional<List<String>> extraArgs();

        /** etcd's output goes here; default {@code <data-dir>.log}. */
        Optional<String> logFile();

        /**
         * TLS of the member, as kubeadm runs etcd: with all three files etcd talks only https to clients with a
         * certificate signed by the CA ({@code --client-cert-auth}) and TLS with its peers; the agent's own calls
         * (health, status) present the same certificate. The URLs are then https.
         */
        Tls tls();
    }

    interface StaticPod {

        /** The kubelet's {@code staticPodPath}, mounted into the agent at the same path. */
        @WithDefault("/etc/kubernetes/manifests")
        String manifestsDir();

        /** etcd's manifest there; its {@code --data-dir} must be {@code lifeboat.agent.etcd.data-dir}. */
        @WithDefault("etcd.yaml")
        String etcdManifest();

        /**
         * Manifests of components stopped before etcd and started again only once etcd serves the restored data: the API
         * server, so that it neither fails against a member being replaced nor keeps serving from a cache of the old data.
         */
        @WithDefault("kube-apiserver.yaml")
        List<String> pauseManifests();

        /** Where manifests wait while they are out of the kubelet's folder; default {@code <state-dir>/manifests-aside}. */
        Optional<String> asideDir();

        /** How long the kubelet may take to stop etcd after its manifest left the folder before the restore fails. */
        @WithDefault("2m")
        Duration stopTimeout();
    }

    interface Tls {

        /** The CA that signs members and clients ({@code --trusted-ca-file}, {@code --peer-trusted-ca-file}). */
        Optional<String> caFile();

        /** The member's certificate, for serving and for peers and the agent's calls ({@code --cert-file}, {@code --peer-cert-file}). */
        Optional<String> certFile();

        /** Its key. */
        Optional<String> keyFile();
    }
}
