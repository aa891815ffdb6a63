package dev.lifeboat.scheduler.api;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.api.Params;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.events.security.SecretRules;
import dev.lifeboat.scheduler.cluster.Clusters;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Clusters over REST: register, read, change and delete (admin), back up now and resume (operator), read
 * (viewer); a token limited to some clusters sees and touches only those.
 */
@Path("/api/v1/clusters")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ClusterResource {

    private final Clusters clusters;
    private final ClusterAccess access;

    public ClusterResource(Clusters clusters, ClusterAccess access) {
        this.clusters = clusters;
        this.access = access;
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    public Uni<Response> register(@Valid ClusterRequest request) {
        var spec = body(request).validate(null, SecretRules.current());
        access.require(request.id());
        return clusters.register(request.id(), spec).map(record -> Response.created(URI.create("/api/v1/clusters/" + record.id))
                .entity(ClusterView.of(record, spec)).build()).onFailure().transform(ClusterResource::answer);
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<ClusterView>> list() {
        return clusters.list().map(records -> records.stream().filter(r -> access.allows(r.id)).map(r -> ClusterView.of(r, Clusters.spec(r))).toList());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed(Roles.VIEWER)
    public Uni<ClusterView> get(@PathParam("id") String id) {
        access.require(id);
        return clusters.get(id).map(record -> ClusterView.of(record, Clusters.spec(record))).onFailure().transform(ClusterResource::answer);
    }

    @PUT
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    public Uni<ClusterView> update(@PathParam("id") String id, @Valid ClusterRequest request) {
        access.require(id);
        var spec = body(request).validate(id, SecretRules.current());
        return clusters.update(id, spec).map(record -> ClusterView.of(record, spec)).onFailure().transform(ClusterResource::answer);
    }

    /** Deletes the cluster; its snapshots stay unless {@code purgeSnapshots=true}. */
    @DELETE
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    public Uni<Response> delete(@PathParam("id") String id, @QueryParam("purgeSnapshots") String purgeSnapshots) {
        access.require(id);
        boolean purge = Params.bool("purgeSnapshots", purgeSnapshots, false);
        return clusters.delete(id, purge).replaceWith(Response.noContent().build()).onFailure().transform(ClusterResource::answer);
    }

    /** A one-time backup: 202 with the request id to follow in snapshot-service. */
    @POST
    @Path("/{id}/backups")
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Response> backupNow(@PathParam("id") String id, @Valid ActionRequest request) {
        access.require(id);
        String reason = request == null ? null : request.reason();
        return clusters.backupNow(id, reason, access.caller())
                .map(requestId -> Response.accepted(Map.of("requestId", requestId, "cluster", id)).build())
                .onFailure().transform(ClusterResource::answer);
    }

    /**
     * Resumes a cluster a restore left paused (a failed REPLACE keeps it paused while its members may hold
     * half-restored data): 200 with the cluster; 409 while a restore of it runs. Audited as ClusterResumed
     * with who and why; a cluster that is not paused is answered as it is.
     */
    @POST
    @Path("/{id}/resume")
    @RolesAllowed(Roles.OPERATOR)
    public Uni<ClusterView> resume(@PathParam("id") String id, @Valid ActionRequest request) {
        access.require(id);
        String reason = request == null ? null : request.reason();
        return clusters.resume(id, reason, access.caller()).map(record -> ClusterView.of(record, Clusters.spec(record)))
                .onFailure().transform(ClusterResource::answer);
    }

    /**
     * Body of {@code POST /api/v1/clusters/{id}/backups} and {@code …/resume}, optional: why, for the event log
     * (who is the token's subject).
     */
    public record ActionRequest(@Size(max = 1000) String reason) {
    }

    private static ClusterRequest body(ClusterRequest request) {
        if (request == null) {
            throw new InvalidRequestException("body", "a JSON body describing the cluster is required");
        }
        return request;
    }

    private static Throwable answer(Throwable failure) {
        if (failure instanceof Clusters.RefusedException refused) {
            return switch (refused.refusal()) {
                case DUPLICATE -> new InvalidRequestException("id", refused.getMessage());
                case UNKNOWN -> new NotFoundException(refused.getMessage());
                case PAUSED, RESTORING -> new WebApplicationException(refused.getMessage(), Response.Status.CONFLICT);
            };
        }
        return failure;
    }
}
