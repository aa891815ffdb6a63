package dev.lifeboat.events.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

import dev.lifeboat.events.work.Failures;
import dev.lifeboat.events.work.WakeableLoop;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Keeps the event log bounded: published outbox rows and the record of processed events older than
 * {@code lifeboat.events.retention.keep} (default 30 days) are deleted every hour, in batches, so that
 * {@code outbox_event} and {@code processed_event} do not grow without end. An outbox row not yet published
 * is never deleted. The record of processed events must outlive any redelivery: keep it longer than the
 * topics' retention (Kafka's default is 7 days).
 */
@ApplicationScoped
public class EventLogRetention {

    private static final int BATCH = 10_000;
    private static final String PRUNE_OUTBOX = """
            delete from outbox_event where id in (select id from outbox_event where sent_at < ? order by id limit %d)""".formatted(BATCH);
    private static final String PRUNE_PROCESSED = """
            delete from processed_event where ctid in (select ctid from processed_event where processed_at < ? limit %d)""".formatted(BATCH);

    private final AgroalDataSource db;
    private final EventsConfig config;
    private final MeterRegistry registry;
    private volatile WakeableLoop pruning;

    public EventLogRetention(AgroalDataSource db, EventsConfig config, MeterRegistry registry) {
        this.db = db;
        this.config = config;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        pruning = WakeableLoop.start("event-log-retention", Duration.ofMinutes(1), Duration.ofHours(1), this::pruneExpired);
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(pruning);
    }

    /** One hourly round: prunes what is older than the configured keep; a failure waits for the next round. */
    void pruneExpired() {
        try {
            prune(Instant.now().minus(config.retention().keep()));
        } catch (SQLException e) {
            Log.warnf("the event log was not pruned (the next hour tries again): %s", Failures.reason(e, java.util.List.of()));
        }
    }

    /** Deletes published outbox rows and processed-event records older than {@code before}; returns how many rows went. */
    public long prune(Instant before) throws SQLException {
        long outbox = deleteInBatches(PRUNE_OUTBOX, before);
        long processed = deleteInBatches(PRUNE_PROCESSED, before);
        registry.counter("lifeboat.events.pruned", "table", "outbox_event").increment(outbox);
        registry.counter("lifeboat.events.pruned", "table", "processed_event").increment(processed);
        if (outbox + processed > 0) {
            Log.infof("event log: %d published outbox rows and %d processed-event records older than %s deleted", outbox, processed, before);
        }
        return outbox + processed;
    }

    private long deleteInBatches(String sql, Instant before) throws SQLException {
        long total = 0;
        try (Connection connection = db.getConnection(); PreparedStatement delete = connection.prepareStatement(sql)) {
            delete.setTimestamp(1, Timestamp.from(before));
            int deleted;
            do {
                deleted = delete.executeUpdate();
                total += deleted;
            } while (deleted == BATCH);
        }
        return total;
    }
}
