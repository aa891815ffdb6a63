package dev.lifeboat.restore.api;

import java.net.URI;
import java.util.List;

import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.restore.saga.RestoreRecord;
import dev.lifeboat.restore.saga.MemberCommands;
import dev.lifeboat.restore.saga.RestoreRequests;
import dev.lifeboat.restore.saga.Restores;
import dev.lifeboat.restore.saga.RestoreSaga;
import dev.lifeboat.restore.saga.Rollbacks;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

/**
 * Restores: ask for one and roll one back (restorer), follow them (viewer). A token limited to some clusters
 * restores from and into those only, and sees only their restores.
 */
@Path("/api/v1/restores")
public class RestoreResource {

    private final Restores restores;
    private final RestoreRequests requests;
    private final MemberCommands members;
    private final Rollbacks rollbacks;
    private final ClusterAccess access;
    private final RestoreSaga saga;

    public RestoreResource(Restores restores, RestoreRequests requests, MemberCommands members, Rollbacks rollbacks, ClusterAccess access,
            RestoreSaga saga) {
        this.saga = saga;
        this.restores = restores;
        this.requests = requests;
        this.members = members;
        this.rollbacks = rollbacks;
        this.access = access;
    }

    /** Accepts a restore: 202 with its id; it runs in the background (GET it to follow). */
    @POST
    @RolesAllowed(Roles.RESTORER)
    public Uni<Response> request(@Valid RestoreRequest body) {
        if (body == null) {
            throw new InvalidRequestException("body", "a JSON body is required");
        }
        RestoreRequested request = body.toEvent(access.caller());
        access.require(request.clusterId());
        if (request.targetCluster() != null) {
            access.require(request.targetCluster());
        }
        return requests.request(request).invoke(saga::wake).map(restore -> Response.accepted(RestoreView.of(restore))
                .location(URI.create("/api/v1/restores/" + restore.id)).build());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed(Roles.VIEWER)
    public Uni<RestoreView> get(@PathParam("id") String id) {
        return visible(id).chain(restore -> members.members(id).map(members -> RestoreView.of(restore, members)));
    }

    /**
     * REPLACE: puts every member's pre-restore data dir back and restarts etcd on it (the etcd-agents
     * kept them), then resumes the cluster. 202; GET the restore to follow {@code rollback}.
     */
    @POST
    @Path("/{id}/rollback")
    @RolesAllowed(Roles.RESTORER)
    public Uni<Response> rollback(@PathParam("id") String id) {
        return visible(id).invoke(restore -> access.require(restore.targetCluster)).chain(ignored -> rollbacks.requestRollback(id))
                .invoke(saga::wake)
                .chain(restore -> members.members(id).map(members -> Response.accepted(RestoreView.of(restore, members))
                        .location(URI.create("/api/v1/restores/" + id)).build()));
    }

    /** Newest first; {@code ?cluster=} restricts to restores written into that cluster. */
    @GET
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<RestoreView>> list(@QueryParam("cluster") String cluster) {
        if (cluster != null) {
            access.require(cluster);
        }
        return Panache.withSession(() -> RestoreRecord.newestFirst(cluster, 200))
                .map(list -> list.stream().filter(restore -> access.allows(restore.targetCluster) && access.allows(restore.clusterId))
                        .map(RestoreView::of).toList());
    }

    /** The restore, when it exists and the caller may see both its clusters; 404 otherwise. */
    private Uni<RestoreRecord> visible(String id) {
        return restores.load(id).map(restore -> {
            if (restore == null || !access.allows(restore.clusterId) || !access.allows(restore.targetCluster)) {
                throw new NotFoundException("restore '" + id + "' is unknown");
            }
            return restore;
        });
    }
}
