package dev.lifeboat.scheduler.api;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.scheduler.cluster.Clusters;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
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

/** Clusters over REST: register, read, change, delete, and back up now. */
@Path("/api/v1/clusters")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ClusterResource {

    private final Clusters clusters;

    public ClusterResource(Clusters clusters) {
        this.clusters = clusters;
    }

    @POST
    public Uni<Response> register(ClusterRequest request) {
        var spec = body(request).validate(null);
        return clusters.register(request.id(), spec).map(record -> Response.created(URI.create("/api/v1/clusters/" + record.id))
                .entity(ClusterView.of(record, spec)).build()).onFailure().transform(ClusterResource::answer);
    }

    @GET
    public Uni<List<ClusterView>> list() {
        return clusters.list().map(records -> records.stream().map(r -> ClusterView.of(r, Clusters.spec(r))).toList());
    }

    @GET
    @Path("/{id}")
    public Uni<ClusterView> get(@PathParam("id") String id) {
        return clusters.get(id).map(record -> ClusterView.of(record, Clusters.spec(record))).onFailure().transform(ClusterResource::answer);
    }

    @PUT
    @Path("/{id}")
    public Uni<ClusterView> update(@PathParam("id") String id, ClusterRequest request) {
        var spec = body(request).validate(id);
        return clusters.update(id, spec).map(record -> ClusterView.of(record, spec)).onFailure().transform(ClusterResource::answer);
    }

    /** Deletes the cluster; its snapshots stay unless {@code purgeSnapshots=true}. */
    @DELETE
    @Path("/{id}")
    public Uni<Response> delete(@PathParam("id") String id, @QueryParam("purgeSnapshots") @DefaultValue("false") boolean purge) {
        return clusters.delete(id, purge).replaceWith(Response.noContent().build()).onFailure().transform(ClusterResource::answer);
    }

    /** A one-time backup: 202 with the request id to follow in snapshot-service. */
    @POST
    @Path("/{id}/backups")
    public Uni<Response> backupNow(@PathParam("id") String id, ActionRequest request) {
        String reason = request == null ? null : request.reason();
        String requester = request == null || request.requester() == null ? "api" : request.requester();
        return clusters.backupNow(id, reason, requester)
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
    public Uni<ClusterView> resume(@PathParam("id") String id, ActionRequest request) {
        String reason = request == null ? null : request.reason();
        String requester = request == null || request.requester() == null ? "api" : request.requester();
        return clusters.resume(id, reason, requester).map(record -> ClusterView.of(record, Clusters.spec(record)))
                .onFailure().transform(ClusterResource::answer);
    }

    /** Body of {@code POST /api/v1/clusters/{id}/backups} and {@code …/resume}; both fields optional. */
    public record ActionRequest(String reason, String requester) {
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
