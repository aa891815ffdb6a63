package dev.lifeboat.events.audit;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

/** Hands every answered call to the service's {@link AuditTrail}; a service without one (the etcd-agent) records nothing. */
@ApplicationScoped
public class AuditedCalls {

    private final Instance<AuditTrail> trail;

    public AuditedCalls(Instance<AuditTrail> trail) {
        this.trail = trail;
    }

    @ServerResponseFilter
    public Uni<Void> answered(ContainerRequestContext request, ContainerResponseContext response) {
        return trail.isResolvable() ? trail.get().recordChange(request, response) : Uni.createFrom().voidItem();
    }
}
