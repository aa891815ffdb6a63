package dev.lifeboat.restore.api;

import java.net.URI;
import java.util.List;

import dev.lifeboat.events.api.ApiError;
import dev.lifeboat.restore.saga.RestoreRecord;
import dev.lifeboat.restore.saga.RestoreRefusedException;
import dev.lifeboat.restore.saga.Restores;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Restores: ask for one, follow it. */
@Path("/api/v1/restores")
public class RestoreResource {

    private final Restores restores;

    public RestoreResource(Restores restores) {
        this.restores = restores;
    }

    /** Accepts a restore: 202 with its id; it runs in the background (GET it to follow). */
    @POST
    public Uni<Response> request(RestoreRequest body) {
        if (body == null) {
            return Uni.createFrom().item(Response.status(400).type(MediaType.APPLICATION_JSON)
                    .entity(new ApiError(400, "a JSON body is required", null)).build());
        }
        return restores.request(body.toEvent("api")).map(restore -> Response.accepted(RestoreView.of(restore))
                .location(URI.create("/api/v1/restores/" + restore.id)).build());
    }

    @GET
    @Path("/{id}")
    public Uni<RestoreView> get(@PathParam("id") String id) {
        return restores.load(id).chain(restore -> {
            if (restore == null) {
                throw new NotFoundException("restore '" + id + "' is unknown");
            }
            return restores.members(id).map(members -> RestoreView.of(restore, members));
        });
    }

    /**
     * REPLACE: puts every member's pre-restore data dir back and restarts etcd on it (the etcd-agents
     * kept them), then resumes the cluster. 202; GET the restore to follow {@code rollback}.
     */
    @POST
    @Path("/{id}/rollback")
    public Uni<Response> rollback(@PathParam("id") String id) {
        return restores.requestRollback(id).chain(restore -> restores.members(id)
                .map(members -> Response.accepted(RestoreView.of(restore, members)).location(URI.create("/api/v1/restores/" + id)).build()));
    }

    /** Newest first; {@code ?cluster=} restricts to restores written into that cluster. */
    @GET
    public Uni<List<RestoreView>> list(@QueryParam("cluster") String cluster) {
        return Panache.withSession(() -> (cluster == null
                ? RestoreRecord.<RestoreRecord>find("order by createdAt desc")
                : RestoreRecord.<RestoreRecord>find("targetCluster = ?1 order by createdAt desc", cluster)).page(0, 200).list())
                .map(list -> list.stream().map(RestoreView::of).toList());
    }

    /** A refused request: 400, 404 or 409 with what is wrong and which field. */
    @Provider
    public static class RefusedMapper implements ExceptionMapper<RestoreRefusedException> {
        @Override
        public Response toResponse(RestoreRefusedException e) {
            return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(new ApiError(e.status(), e.getMessage(), e.field()))
                    .build();
        }
    }
}
