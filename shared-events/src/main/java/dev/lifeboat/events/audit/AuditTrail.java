package dev.lifeboat.events.audit;

import java.time.Instant;
import java.util.Set;
import java.util.function.Supplier;

import dev.lifeboat.events.CallAudited;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.events.security.CheckedClusters;
import dev.lifeboat.events.security.ClusterAccess;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;


/**
 * The audit trail: who changed what of which cluster, as {@link CallAudited} events in the event log (and so in the
 * cluster's timeline). Every POST, PUT and DELETE of an API is recorded after it was answered, with the caller its
 * token names, the call and the status — refusals too — under the clusters the call was checked for; a snapshot
 * download is recorded by its endpoint, in the transaction that hands out the content. (A service without a
 * database, the etcd-agent, has no audit trail: it changes nothing through its API.)
 */
@ApplicationScoped
public class AuditTrail {

    private final Outbox outbox;
    private final ClusterAccess access;
    private final CheckedClusters checked;

    public AuditTrail(Outbox outbox, ClusterAccess access, CheckedClusters checked) {
        this.outbox = outbox;
        this.access = access;
        this.checked = checked;
    }

    /** Records an action of the current caller on a cluster, in the current transaction. */
    public Uni<Void> record(String clusterId, String action, String target) {
        return outbox.emit(new CallAudited(clusterId, access.caller(), action, target, 200, Instant.now())).replaceWithVoid();
    }

    /**
     * Records a changing call once answered (see {@link AuditedCalls}); a call that was never
     * about a cluster (refused before) has nothing to file under.
     */
    public Uni<Void> recordChange(ContainerRequestContext request, ContainerResponseContext response) {
        String method = request.getMethod();
        if (!("POST".equals(method) || "PUT".equals(method) || "DELETE".equals(method))) {
            return Uni.createFrom().voidItem();
        }
        Set<String> clusters = checked.clusters();
        if (clusters.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String action = method + " " + request.getUriInfo().getRequestUri().getRawPath();
        String target = response.getLocation() == null ? null : response.getLocation().getPath();
        String caller = access.caller();
        int status = response.getStatus();
        Instant at = Instant.now();
        Supplier<Uni<Void>> write = () -> Panache.withTransaction(() -> outbox.emitAll(clusters.stream().filter(Ids::valid)
                .map(cluster -> new CallAudited(cluster, caller, action, target, status, at)).toList()))
                .onFailure().invoke(e -> Log.errorf("the audit record of %s by %s (%d) could not be written: %s", action, caller, status, e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
        if (Context.isOnEventLoopThread()) {
            return write.get();
        }
        // A blocking endpoint's filter runs on its worker thread; the reactive session needs the Vert.x context.
        try {
            VertxContextSupport.subscribeAndAwait(write);
        } catch (Throwable e) {
            Log.errorf("the audit record of %s by %s (%d) could not be written: %s", action, caller, status, e.getMessage());
        }
        return Uni.createFrom().voidItem();
    }
}
