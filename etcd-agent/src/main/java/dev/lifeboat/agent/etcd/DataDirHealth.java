package dev.lifeboat.agent.etcd;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;

/** Readiness "etcd data dir": DOWN, with the reason, while the data dir check keeps etcd from starting. */
@Readiness
@ApplicationScoped
public class DataDirHealth implements HealthCheck {

    private final EtcdSupervisor etcd;

    public DataDirHealth(EtcdSupervisor etcd) {
        this.etcd = etcd;
    }

    @Override
    public HealthCheckResponse call() {
        String refusal = etcd.refusal();
        return HealthCheckResponse.named("etcd data dir").status(refusal == null).withData("dataDir", etcd.dataDir().toString())
                .withData("refusal", refusal == null ? "" : refusal).build();
    }
}
