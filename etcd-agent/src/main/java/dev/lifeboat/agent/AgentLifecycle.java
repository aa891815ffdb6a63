package dev.lifeboat.agent;

import java.time.Duration;

import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.member.MemberRestorer;
import dev.lifeboat.events.work.WakeableLoop;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Start: stop an etcd an earlier agent left running, finish or undo what a crash interrupted, then run etcd (without waiting for it to be healthy:
 * a member whose data is broken still needs its agent to take the restore). Every minute: remove
 * pre-restore data dirs whose time is up. Every 30 s: record what etcd serves, for the data dir check. Stop: stop etcd with the agent when the agent runs it as its process.
 * The periodic jobs run on threads of their own ({@link WakeableLoop}), not Quarkus' scheduler, whose trigger check wakes
 * every second, idle or not.
 */
@ApplicationScoped
public class AgentLifecycle {

    static final String PROCESS_RUNTIME = "process";
    static final java.util.List<String> RUNTIMES = java.util.List.of(PROCESS_RUNTIME, EtcdSupervisor.STATIC_POD);

    private final MemberRestorer restorer;
    private final EtcdSupervisor etcd;
    private final AgentConfig config;
    private WakeableLoop sweeps;
    private WakeableLoop served;

    public AgentLifecycle(MemberRestorer restorer, EtcdSupervisor etcd, AgentConfig config) {
        this.restorer = restorer;
        this.etcd = etcd;
        this.config = config;
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        checkRuntime(config.runtime());
        etcd.validateRuntime();
        etcd.stopLeftover();
        restorer.recover();
        sweeps = WakeableLoop.start("pre-restore-sweep", Duration.ofMinutes(1), Duration.ofMinutes(1), this::sweep);
        served = WakeableLoop.start("member-served", Duration.ofSeconds(5), Duration.ofSeconds(30), this::recordServed);
    }

    /** Every minute (never two at once): removes pre-restore data dirs whose time is up. */
    void sweep() {
        try {
            restorer.sweep();
        } catch (RuntimeException e) {
            Log.warnf("cannot remove old pre-restore data dirs: %s", e.getMessage());
        }
    }

    /** Every 30 s: while etcd runs, what it serves is recorded, so that a data dir that loses it is not started empty. */
    void recordServed() {
        if (etcd.shouldServe()) {
            etcd.recordServed();
        }
    }

    /**
     * Only a runtime the agent knows: told anything else, it refuses to start and says why, before it touches any etcd
     * or data dir.
     */
    static void checkRuntime(String runtime) {
        if (!RUNTIMES.contains(runtime)) {
            throw new IllegalStateException("lifeboat.agent.runtime is '" + runtime + "': this etcd-agent knows " + RUNTIMES
                    + "; it leaves this member's etcd and data dir untouched");
        }
    }

    /** An etcd the agent runs as its process stops with it; a kubelet's static pod is none of its business when it stops. */
    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(sweeps);
        WakeableLoop.closeIfStarted(served);
        if (etcd.ownsProcess()) {
            etcd.stop();
        }
    }
}
