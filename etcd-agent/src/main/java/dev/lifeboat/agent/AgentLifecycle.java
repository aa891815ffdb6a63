package dev.lifeboat.agent;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.member.MemberRestorer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Start: stop an etcd an earlier agent left running, finish or undo what a crash interrupted, then run etcd (without waiting for it to be healthy:
 * a member whose data is broken still needs its agent to take the restore). Every minute: remove
 * pre-restore data dirs whose time is up. Stop: stop etcd with the agent, which is its supervisor.
 */
@ApplicationScoped
public class AgentLifecycle {

    private final MemberRestorer restorer;
    private final EtcdSupervisor etcd;
    private ScheduledExecutorService sweeper;

    public AgentLifecycle(MemberRestorer restorer, EtcdSupervisor etcd) {
        this.restorer = restorer;
        this.etcd = etcd;
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        etcd.stopLeftover();
        restorer.recover();
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pre-restore-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                restorer.sweep();
            } catch (RuntimeException e) {
                Log.warnf("cannot remove old pre-restore data dirs: %s", e.getMessage());
            }
        }, 1, 1, TimeUnit.MINUTES);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        etcd.stop();
    }
}
