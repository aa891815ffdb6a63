package dev.lifeboat.scheduler.api;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.Durations;
import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.events.security.ClusterAccess;
import dev.lifeboat.events.security.Roles;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.scheduler.cluster.Clusters;
import dev.lifeboat.scheduler.policy.Policies;
import dev.lifeboat.scheduler.policy.PolicyKind;
import dev.lifeboat.scheduler.policy.PolicyRecord;
import dev.lifeboat.scheduler.policy.Schedule;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Backup policies of a cluster over REST. */
@Path("/api/v1/clusters/{cluster}/policies")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class PolicyResource {

    private static final Pattern POLICY_ID = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final long DEFAULT_STARTING_DEADLINE = 3600;
    /** Gardener's default: a delta is written once 100 MiB of changes accumulated. */
    static final long DEFAULT_DELTA_MAX_BYTES = 100L << 20;
    private static final long MIN_DELTA_MAX_BYTES = 1024;
    /** The longest retention.maxAge: ten years. */
    private static final Duration MAX_AGE = Duration.ofDays(3653);

    /**
     * Body of {@code POST}: {@code schedule} (cron, descriptor or {@code @every <duration>}), {@code timeZone}
     * (IANA, default UTC), {@code kind} (FULL, DELTA or DRILL), optional {@code jitter} (e.g. {@code 30m}), optional
     * {@code startingDeadlineSeconds} (default 3600), optional {@code retention}. A DELTA policy turns on
     * continuous capture: its schedule is {@code @every <period>}, and {@code deltaMaxBytes} (default 100 MiB)
     * writes a delta early when that many bytes of changes accumulated. A DRILL policy runs a restore drill at each slot
     * (no retention) of the full snapshot {@code drillSnapshot} names: {@code latest} (the default, the newest) or
     * {@code undrilled} (the oldest of the last 24 h that no drill judged yet: fired at least as often as backups complete,
     * it drills each new full snapshot). The same {@code id} again replaces the policy.
     */
    public record PolicyRequest(@Size(max = 63) String id, @NotBlank @Size(max = 200) String schedule, @Size(max = 64) String timeZone,
            @Size(max = 16) String kind, @Size(max = 32) String jitter, Long startingDeadlineSeconds, RetentionSpec retention, Long deltaMaxBytes,
            @Size(max = 16) String drillSnapshot) {
    }

    /** A policy as shown; {@code nextFireAt} is null for DELTA, which captures continuously; {@code drillSnapshot} for DRILL only. */
    public record PolicyView(String id, String cluster, String schedule, String timeZone, String kind, long jitterSeconds,
            long startingDeadlineSeconds, RetentionSpec retention, Long deltaMaxBytes, String drillSnapshot, Instant nextFireAt) {

        static PolicyView of(PolicyRecord p) {
            PolicyKind kind = PolicyKind.valueOf(p.kind);
            return new PolicyView(p.id, p.clusterId, p.schedule, p.timeZone, p.kind, p.jitterSeconds, p.startingDeadlineSeconds,
                    Policies.retention(p), p.deltaMaxBytes, kind.isBackupPolicy() ? null : Policies.drillSnapshot(p), kind.firesSlots() ? p.nextFireAt : null);
        }
    }

    private final Policies policies;
    private final ClusterAccess access;

    public PolicyResource(Policies policies, ClusterAccess access) {
        this.policies = policies;
        this.access = access;
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Response> set(@PathParam("cluster") String cluster, @Valid PolicyRequest request) {
        access.require(cluster);
        Policies.Definition definition = validate(request);
        return policies.set(cluster, definition)
                .map(p -> Response.created(URI.create("/api/v1/clusters/" + cluster + "/policies/" + p.id)).entity(PolicyView.of(p)).build())
                .onFailure().transform(PolicyResource::answer);
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    public Uni<List<PolicyView>> list(@PathParam("cluster") String cluster) {
        access.require(cluster);
        return policies.list(cluster).map(list -> list.stream().map(PolicyView::of).toList());
    }

    @DELETE
    @Path("/{policy}")
    @RolesAllowed(Roles.OPERATOR)
    public Uni<Response> delete(@PathParam("cluster") String cluster, @PathParam("policy") String policy) {
        access.require(cluster);
        return policies.delete(cluster, policy).replaceWith(Response.noContent().build()).onFailure().transform(PolicyResource::answer);
    }

    /** The policy the request describes, or a 400 naming the first field that is wrong. */
    static Policies.Definition validate(PolicyRequest request) {
        if (request == null) {
            throw new InvalidRequestException("body", "a JSON body describing the policy is required");
        }
        if (request.id() != null && !POLICY_ID.matcher(request.id()).matches()) {
            throw new InvalidRequestException("id", "id must be a DNS label, not '" + request.id() + "'");
        }
        String zone = field("timeZone", () -> Schedule.zone(request.timeZone()).getId());
        Schedule schedule = field("schedule", () -> Schedule.parse(request.schedule(), request.timeZone()));
        PolicyKind kind = kind(request);
        Long deltaMaxBytes = kind == PolicyKind.DELTA ? deltaOnly(request) : slotsOnly(request, kind);
        long jitter = jitterSeconds(request, schedule);
        long deadline = request.startingDeadlineSeconds() == null ? DEFAULT_STARTING_DEADLINE : request.startingDeadlineSeconds();
        if (deadline < 0 || deadline > Durations.YEAR.getSeconds()) {
            throw new InvalidRequestException("startingDeadlineSeconds", "startingDeadlineSeconds must be between 0 and "
                    + Durations.YEAR.getSeconds() + " (a year), not " + deadline);
        }
        checkRetention(request.retention());
        return new Policies.Definition(request.id(), request.schedule().trim(), zone, kind, request.jitter(), jitter, deadline, request.retention(),
                deltaMaxBytes, drillSnapshot(request, kind));
    }

    /** {@code read}'s value; its IllegalArgumentException becomes a 400 naming {@code field}. */
    private static <T> T field(String field, Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, e.getMessage());
        }
    }

    private static PolicyKind kind(PolicyRequest request) {
        try {
            return request.kind() == null ? PolicyKind.FULL : PolicyKind.valueOf(request.kind().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("kind", "kind must be FULL, DELTA or DRILL, not '" + request.kind() + "'");
        }
    }

    /** A DELTA policy: a period, no retention or jitter; returns its deltaMaxBytes. */
    private static Long deltaOnly(PolicyRequest request) {
        if (!request.schedule().trim().toLowerCase(Locale.ROOT).startsWith("@every ")) {
            throw new InvalidRequestException("schedule", "a DELTA policy's schedule is its period, '@every <duration>' (e.g. '@every 5m'), "
                    + "not '" + request.schedule() + "'");
        }
        if (request.retention() != null) {
            throw new InvalidRequestException("retention", "retention belongs to FULL policies: a delta is kept as long as a kept full "
                    + "snapshot needs it");
        }
        if (request.jitter() != null) {
            throw new InvalidRequestException("jitter", "a DELTA policy captures continuously; jitter applies to FULL policies");
        }
        long deltaMaxBytes = request.deltaMaxBytes() == null ? DEFAULT_DELTA_MAX_BYTES : request.deltaMaxBytes();
        if (deltaMaxBytes < MIN_DELTA_MAX_BYTES) {
            throw new InvalidRequestException("deltaMaxBytes", "deltaMaxBytes must be at least " + MIN_DELTA_MAX_BYTES + ", not " + deltaMaxBytes);
        }
        return deltaMaxBytes;
    }

    /** A FULL or DRILL policy has no deltaMaxBytes; a DRILL policy keeps nothing, so it has no retention either. */
    private static Long slotsOnly(PolicyRequest request, PolicyKind kind) {
        if (request.deltaMaxBytes() != null) {
            throw new InvalidRequestException("deltaMaxBytes", "deltaMaxBytes applies to DELTA policies only");
        }
        if (kind == PolicyKind.DRILL && request.retention() != null) {
            throw new InvalidRequestException("retention", "a DRILL policy stores no snapshot, so it has no retention; retention belongs to "
                    + "FULL policies (the newest verified full snapshot is always kept)");
        }
        return null;
    }

    /** A DRILL policy's snapshot selector: null for latest, or {@code undrilled}; refused on backup policies. */
    private static String drillSnapshot(PolicyRequest request, PolicyKind kind) {
        if (request.drillSnapshot() == null) {
            return null;
        }
        if (kind.isBackupPolicy()) {
            throw new InvalidRequestException("drillSnapshot", "drillSnapshot applies to DRILL policies only");
        }
        String selector = request.drillSnapshot().trim().toLowerCase(Locale.ROOT);
        if (selector.equals(RestoreRequested.LATEST)) {
            return null;
        }
        if (!selector.equals(DrillRequested.UNDRILLED)) {
            throw new InvalidRequestException("drillSnapshot", "drillSnapshot must be latest (the newest full snapshot) or undrilled (the "
                    + "oldest of the last 24 h that no drill judged yet), not '" + request.drillSnapshot() + "'");
        }
        return selector;
    }

    /** The jitter in seconds (0 without one), shorter than the schedule's period. */
    private static long jitterSeconds(PolicyRequest request, Schedule schedule) {
        if (request.jitter() == null) {
            return 0;
        }
        long jitter = field("jitter", () -> Schedule.duration(request.jitter(), "jitter")).getSeconds();
        long period = schedule.period().map(Duration::getSeconds).orElse(Long.MAX_VALUE);
        if (jitter >= period) {
            throw new InvalidRequestException("jitter", "jitter must be shorter than the schedule's period (" + request.schedule().trim()
                    + "), not " + request.jitter());
        }
        return jitter;
    }

    private static void checkRetention(RetentionSpec retention) {
        if (retention == null) {
            return;
        }
        if (retention.keepLast() != null && retention.keepLast() < 1) {
            throw new InvalidRequestException("retention.keepLast", "retention.keepLast must be at least 1");
        }
        if (retention.maxTotalSizeBytes() != null && retention.maxTotalSizeBytes() < 1) {
            throw new InvalidRequestException("retention.maxTotalSizeBytes", "retention.maxTotalSizeBytes must be positive");
        }
        if (retention.maxAge() != null) {
            field("retention.maxAge", () -> Durations.parse(retention.maxAge(), "retention.maxAge", Duration.ofSeconds(1), MAX_AGE));
        }
    }

    private static Throwable answer(Throwable failure) {
        if (failure instanceof Clusters.RefusedException refused) {
            return switch (refused.refusal()) {
                case UNKNOWN -> new NotFoundException(refused.getMessage());
                case DUPLICATE -> new InvalidRequestException("id", refused.getMessage());
                case PAUSED, RESTORING -> failure;
            };
        }
        return failure;
    }
}
