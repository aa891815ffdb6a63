package dev.lifeboat.restore.saga;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.RestorePhase;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/**
 * When each phase of a restore started and ended, in the order the phases ran. Stored as JSON
 * ({@code {"VALIDATING": {"startedAt": …, "endedAt": …}, …}}); a stored value that cannot be read is an
 * error, never an empty history.
 */
public final class PhaseTimes {

    private static final TypeReference<LinkedHashMap<RestorePhase, LinkedHashMap<String, Instant>>> JSON = new TypeReference<>() {
    };

    private final LinkedHashMap<RestorePhase, LinkedHashMap<String, Instant>> times;

    private PhaseTimes(LinkedHashMap<RestorePhase, LinkedHashMap<String, Instant>> times) {
        this.times = times;
    }

    public static PhaseTimes none() {
        return new PhaseTimes(new LinkedHashMap<>());
    }

    /** A copy with {@code phase} started at {@code at}. */
    public PhaseTimes started(RestorePhase phase, Instant at) {
        return with(phase, "startedAt", at);
    }

    /** A copy with {@code phase} ended at {@code at}. */
    public PhaseTimes ended(RestorePhase phase, Instant at) {
        return with(phase, "endedAt", at);
    }

    /** When {@code phase} started; null when it has not. */
    public Instant startedAt(RestorePhase phase) {
        Map<String, Instant> phaseTimes = times.get(phase);
        return phaseTimes == null ? null : phaseTimes.get("startedAt");
    }

    /** As the API shows it: phase name → {startedAt, endedAt}. */
    public Map<String, Map<String, Instant>> asMap() {
        Map<String, Map<String, Instant>> shown = new LinkedHashMap<>();
        times.forEach((phase, phaseTimes) -> shown.put(phase.name(), Map.copyOf(phaseTimes)));
        return shown;
    }

    private PhaseTimes with(RestorePhase phase, String which, Instant at) {
        LinkedHashMap<RestorePhase, LinkedHashMap<String, Instant>> copy = new LinkedHashMap<>();
        times.forEach((p, t) -> copy.put(p, new LinkedHashMap<>(t)));
        copy.computeIfAbsent(phase, p -> new LinkedHashMap<>()).put(which, at);
        return new PhaseTimes(copy);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PhaseTimes that && times.equals(that.times);
    }

    @Override
    public int hashCode() {
        return times.hashCode();
    }

    @Override
    public String toString() {
        return times.toString();
    }

    /** The column: JSON text; unreadable JSON or an unknown phase fails the read with what was found. */
    @Converter
    public static final class Column implements AttributeConverter<PhaseTimes, String> {

        @Override
        public String convertToDatabaseColumn(PhaseTimes phases) {
            try {
                return EventCodec.json().writeValueAsString(phases == null ? none().times : phases.times);
            } catch (Exception e) {
                throw new IllegalStateException("cannot write the phase times " + phases, e);
            }
        }

        @Override
        public PhaseTimes convertToEntityAttribute(String json) {
            try {
                return new PhaseTimes(EventCodec.json().readValue(json, JSON));
            } catch (Exception e) {
                throw new IllegalStateException("the stored phase times of a restore cannot be read (" + e.getMessage() + ")", e);
            }
        }
    }
}
