package dev.lifeboat.events.deadletter;

import java.util.List;
import java.util.Map;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.api.Params;
import dev.lifeboat.events.security.Roles;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * Every service's dead-letter records over REST: {@code GET /api/v1/dead-letters} (operator) lists them,
 * {@code POST /api/v1/dead-letters/{topic}/{partition}/{offset}/replay} (admin) puts one back on the topic it came from.
 */
@Path("/api/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class DeadLetterResource {

    private final DeadLetters deadLetters;

    public DeadLetterResource(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    /** The records of one dead-letter topic of this service (the first, if not named), oldest first. */
    @GET
    @RolesAllowed(Roles.OPERATOR)
    public Map<String, Object> list(@QueryParam("topic") String topic, @QueryParam("from") String from, @QueryParam("limit") String limit) {
        List<String> topics = deadLetters.topics();
        String chosen = topic != null ? topic : topics.isEmpty() ? null : topics.get(0);
        if (chosen == null) {
            return Map.of("topics", topics, "records", List.of());
        }
        long fromOffset = Params.integer("from", from, 0, Integer.MAX_VALUE, 0);
        return Map.of("topics", topics, "topic", chosen, "records", deadLetters.list(chosen, fromOffset, Params.integer("limit", limit, 1, 1000, 100)));
    }

    @POST
    @Path("/{topic}/{partition}/{offset}/replay")
    @RolesAllowed(Roles.ADMIN)
    public DeadLetters.Replayed replay(@PathParam("topic") String topic, @PathParam("partition") String partition,
            @PathParam("offset") String offset) {
        int at = Params.integer("partition", partition, 0, 10_000, -1);
        long position;
        try {
            position = Long.parseLong(offset);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("offset", "offset must be a whole number");
        }
        if (position < 0) {
            throw new InvalidRequestException("offset", "offset must be 0 or more");
        }
        return deadLetters.replay(topic, at, position);
    }
}
