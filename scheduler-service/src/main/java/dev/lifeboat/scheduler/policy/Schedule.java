package dev.lifeboat.scheduler.policy;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import dev.lifeboat.events.Durations;

/**
 * When a policy fires: a 5-field cron expression read in an IANA time zone (cron-utils, Unix flavour),
 * a descriptor ({@code @hourly}, {@code @daily}/{@code @midnight}, {@code @weekly}, {@code @monthly},
 * {@code @yearly}/{@code @annually}), or {@code @every <duration>} with a Go-like duration
 * ({@code 90s}, {@code 5m}, {@code 1h30m}) whose slots are aligned to the Unix epoch, so every replica
 * computes the same slots.
 */
public final class Schedule {

    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Map<String, String> DESCRIPTORS = Map.of("@hourly", "0 * * * *", "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *", "@weekly", "0 0 * * 0", "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *");

    private final ExecutionTime cron;
    private final ZoneId zone;
    private final Duration every;

    private Schedule(ExecutionTime cron, ZoneId zone, Duration every) {
        this.cron = cron;
        this.zone = zone;
        this.every = every;
    }

    /** Parses a schedule, or fails with a message naming what is wrong. */
    public static Schedule parse(String expression, String timeZone) {
        ZoneId zone = zone(timeZone);
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("schedule is required");
        }
        String trimmed = expression.trim();
        if (trimmed.toLowerCase(Locale.ROOT).startsWith("@every ")) {
            return new Schedule(null, zone, duration(trimmed.substring(7).trim(), "the @every interval"));
        }
        String cron = DESCRIPTORS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
        if (cron.startsWith("@")) {
            throw new IllegalArgumentException("schedule '" + trimmed + "' is not a known descriptor (@hourly, @daily, @weekly, "
                    + "@monthly, @yearly, @every <duration>)");
        }
        try {
            return new Schedule(ExecutionTime.forCron(UNIX.parse(cron)), zone, null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schedule '" + trimmed + "' is not a 5-field cron expression: " + e.getMessage());
        }
    }

    /** The fixed period of an {@code @every} schedule; empty for cron schedules. */
    public Optional<Duration> period() {
        return Optional.ofNullable(every);
    }

    /** An IANA zone id; null or blank means UTC. */
    public static ZoneId zone(String timeZone) {
        if (timeZone == null || timeZone.isBlank()) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(timeZone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone '" + timeZone + "' is not an IANA time zone (e.g. Europe/Berlin)");
        }
    }

    /** A duration ({@code 1h30m}, {@code 90s}, {@link Durations}) of one second to a year: a period, or a jitter. */
    public static Duration duration(String text, String what) {
        Duration duration = Durations.parse(text, what, Duration.ofSeconds(1), Durations.YEAR);
        if (duration.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException(what + " must be whole seconds, not " + text);
        }
        return duration;
    }

    /** The first slot strictly after {@code after}. */
    public Optional<Instant> next(Instant after) {
        if (every != null) {
            long step = every.getSeconds();
            return Optional.of(Instant.ofEpochSecond(Math.floorDiv(after.getEpochSecond(), step) * step + step));
        }
        return cron.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    /** The last slot at or before {@code at}. */
    public Optional<Instant> latest(Instant at) {
        if (every != null) {
            long step = every.getSeconds();
            return Optional.of(Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), step) * step));
        }
        ZonedDateTime time = ZonedDateTime.ofInstant(at, zone);
        if (cron.isMatch(time.withNano(0)) && time.getSecond() == 0 && time.getNano() == 0) {
            return Optional.of(at);
        }
        return cron.lastExecution(time).map(ZonedDateTime::toInstant);
    }
}
