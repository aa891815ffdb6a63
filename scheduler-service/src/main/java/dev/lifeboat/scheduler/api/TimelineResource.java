package dev.lifeboat.scheduler.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.scheduler.timeline.Timeline;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** What happened to a cluster, from every service, in order: what an SRE reads first during an incident. */
@Path("/api/v1/clusters/{cluster}/timeline")
@Produces(MediaType.APPLICATION_JSON)
public class TimelineResource {

    private final Timeline timeline;

    public TimelineResource(Timeline timeline) {
        this.timeline = timeline;
    }

    @GET
    public Uni<List<Timeline.Entry>> get(@PathParam("cluster") String cluster, @QueryParam("since") String since,
            @QueryParam("limit") @DefaultValue("200") int limit) {
        if (limit < 1 || limit > 5000) {
            throw new InvalidRequestException("limit", "limit must be between 1 and 5000, not " + limit);
        }
        Instant from;
        try {
            from = since == null || since.isBlank() ? Instant.EPOCH : Instant.parse(since);
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("since", "since must be an RFC 3339 time like 2026-11-22T10:00:00Z, not '" + since + "'");
        }
        return timeline.of(cluster, from, limit);
    }
}
