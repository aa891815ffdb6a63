package dev.lifeboat.events.outbox;

import dev.lifeboat.events.work.Backoff;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.runtime.EventProducers;
import dev.lifeboat.events.EventType;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Publishes committed outbox rows to Kafka, in id order, and marks them sent.
 *
 * <p>It runs on its own thread with JDBC, because it blocks on Kafka acknowledgements. Each batch is one
 * transaction holding a transaction-scoped advisory lock, so among replicas of a service one relay
 * publishes at a time and per-cluster order holds. The producer is idempotent with {@code acks=all}.
 * A crash after Kafka acknowledged a batch but before the rows were marked publishes them again on
 * restart: delivery is at least once, and consumers drop repeats by event id. A row Kafka can never take
 * ({@link #neverAccepted}: too large, an invalid topic; or an unknown type) is parked with its reason and the
 * rows after it go on; the {@code lifeboat.outbox.parked} gauge counts parked rows (alert on it).
 *
 * <p>Idle, it does not poll: a trigger on the outbox table notifies channel {@code lifeboat_outbox} at each commit that
 * added events (V2026_12_07_0), and the relay waits on a connection that listens to it — at most {@code idle-wait} —
 * so an event is published as soon as it is committed, by whichever replica, and an idle service costs no queries. If it
 * cannot listen, it falls back to looking every {@code poll-interval}.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final String SELECT_PENDING = """
            select id, event_id, partition_key, topic, type, source, cluster_id, payload, traceparent, tracestate, created_at
            from outbox_event where sent_at is null and parked_at is null order by id limit ?""";

    private static final String COUNT_UNSENT = """
            select count(*) filter (where parked_at is null), count(*) filter (where parked_at is not null)
            from outbox_event where sent_at is null""";
    private static final long BACKLOG_EVERY_NANOS = 5_000_000_000L;
    /** What {@link #stop()} sends on the channel the relay listens to, so that its wait ends at once. */
    private static final String WAKE_TO_STOP = "select pg_notify('lifeboat_outbox', 'stop')";

    private final AgroalDataSource dataSource;
    private final EventsConfig.Relay config;
    private final Map<String, Object> kafkaConfig;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong parked = new AtomicLong();
    private final Counter published;
    private final Counter parkings;
    private long backlogCountedAt;
    private Thread thread;
    private volatile boolean running;
    private KafkaProducer<String, byte[]> producer;
    /** The connection that listens for commits to the outbox; null while none is open. */
    private Connection listener;

    public OutboxRelay(AgroalDataSource dataSource, EventsConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.config = config.relay();
        this.kafkaConfig = kafkaConfig;
        // The outbox's unsent rows: events committed but not yet on Kafka (a relay that cannot publish lets it grow).
        Gauge.builder("lifeboat.outbox.backlog", backlog, AtomicLong::get)
                .description("events committed to the outbox and not yet published to Kafka").tag("service", config.source())
                .register(registry);
        this.published = Counter.builder("lifeboat.outbox.published")
                .description("events the relay published to Kafka").tag("service", config.source()).register(registry);
        // Events Kafka can never take, set aside with their reason (alert on > 0: something the service emits cannot be published).
        Gauge.builder("lifeboat.outbox.parked", parked, AtomicLong::get)
                .description("events parked because Kafka can never take them (too large, unknown type, invalid topic)")
                .tag("service", config.source()).register(registry);
        this.parkings = Counter.builder("lifeboat.outbox.parkings")
                .description("events the relay parked").tag("service", config.source()).register(registry);
    }

    void onStart(@Observes StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts publishing; does nothing when already running. */
    public synchronized void start() {
        if (running) {
            return;
        }
        producer = new KafkaProducer<>(producerConfig());
        running = true;
        thread = new Thread(this::run, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
        Log.debug("outbox relay started");
    }

    /** Stops publishing after the batch in flight; rows not yet sent stay for the next start. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        thread.interrupt();
        wakeListener();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        Log.debug("outbox relay stopped");
    }

    private Map<String, Object> producerConfig() {
        Map<String, Object> producerConfig = EventProducers.reliable(kafkaConfig, "outbox-relay-" + UUID.randomUUID(), config.sendTimeout());
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return producerConfig;
    }

    private void run() {
        Duration backoff = config.pollInterval();
        try {
            runListening(backoff);
        } finally {
            closeListener();
        }
    }

    private void runListening(Duration backoff) {
        while (running) {
            try {
                listen();
                int sent = relayBatch();
                published.increment(sent);
                backoff = config.pollInterval();
                countBacklog();
                if (sent == 0) {
                    awaitCommit();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                Log.warnf("outbox relay: publishing failed, retrying in %d ms: %s", backoff.toMillis(), e.getMessage());
                try {
                    countBacklog();
                } catch (SQLException unreachable) {
                    Log.debugf("outbox relay: cannot count the backlog either: %s", unreachable.getMessage());
                }
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Backoff.doubled(backoff, config.maxBackoff());
            }
        }
    }

    /** Opens the listening connection when none is open (before looking at the table, so no commit goes unnoticed). */
    private void listen() {
        if (listener != null) {
            return;
        }
        try {
            Connection connection = dataSource.getConnection();
            try (Statement listen = connection.createStatement()) {
                connection.setAutoCommit(true);
                listen.execute("LISTEN lifeboat_outbox");
                listener = connection;
            } catch (SQLException e) {
                connection.close();
                throw e;
            }
        } catch (SQLException e) {
            Log.debugf("outbox relay: cannot listen for commits (looking every %d ms instead): %s", config.pollInterval().toMillis(),
                    e.getMessage());
        }
    }

    /** Waits for a commit to the outbox (at most {@code idle-wait}); without a listening connection, {@code poll-interval}. */
    private void awaitCommit() throws InterruptedException {
        if (listener == null) {
            Thread.sleep(config.pollInterval().toMillis());
            return;
        }
        try {
            // one read for the whole wait: the socket read does not see interrupts, so stop() ends it with a notification
            PGConnection connection = listener.unwrap(PGConnection.class);
            PGNotification[] commits = connection.getNotifications((int) Math.max(1, config.idleWait().toMillis()));
            Log.tracef("outbox relay: %d notifications", commits == null ? 0 : commits.length);
        } catch (SQLException e) {
            Log.debugf("outbox relay: the listening connection broke (opening another): %s", e.getMessage());
            closeListener();
            Thread.sleep(config.pollInterval().toMillis());
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /**
     * Ends the relay's wait for a commit (stopping): every listener of the channel is told, which costs a replica
     * that is not stopping one look at its outbox. Without PostgreSQL the wait ends by itself, within idle-wait.
     */
    private void wakeListener() {
        try (Connection connection = dataSource.getConnection(); Statement wake = connection.createStatement()) {
            connection.setAutoCommit(true);
            wake.execute(WAKE_TO_STOP);
        } catch (SQLException e) {
            Log.debugf("outbox relay: cannot wake the listening connection to stop (it stops within %s): %s", config.idleWait(),
                    e.getMessage());
        }
    }

    private void closeListener() {
        if (listener == null) {
            return;
        }
        try {
            listener.close();
        } catch (SQLException e) {
            Log.debugf("outbox relay: closing the listening connection: %s", e.getMessage());
        }
        listener = null;
    }

    /** Publishes one batch of pending rows; returns how many were published. */
    int relayBatch() throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (!lockRelay(connection)) {
                    connection.rollback();
                    return 0;
                }
                List<Long> ids = new ArrayList<>();
                List<Future<?>> acks = new ArrayList<>();
                Map<Long, String> parking = new java.util.LinkedHashMap<>();
                try (PreparedStatement select = connection.prepareStatement(SELECT_PENDING)) {
                    select.setInt(1, config.batchSize());
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            long id = rows.getLong("id");
                            try {
                                acks.add(producer.send(toRecord(rows)));
                                ids.add(id);
                            } catch (UnpublishableException e) {
                                parking.put(id, reason(e));
                            } catch (KafkaException e) {
                                if (!neverAccepted(e)) {
                                    throw e;
                                }
                                parking.put(id, reason(e));
                            }
                        }
                    }
                }
                if (ids.isEmpty() && parking.isEmpty()) {
                    connection.rollback();
                    return 0;
                }
                producer.flush();
                List<Long> sent = new ArrayList<>();
                for (int i = 0; i < acks.size(); i++) {
                    try {
                        acks.get(i).get(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
                        sent.add(ids.get(i));
                    } catch (ExecutionException e) {
                        if (!neverAccepted(e.getCause())) {
                            throw e;
                        }
                        parking.put(ids.get(i), reason(e.getCause()));
                    }
                }
                markSent(connection, sent);
                park(connection, parking);
                connection.commit();
                return sent.size();
            } catch (Exception e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /**
     * Whether Kafka refused a record for what it is, so that sending it again can never succeed: too large for the
     * producer or broker, an invalid topic, a record it cannot serialize. Anything else (a broker down, a timeout) is
     * retried with the whole batch.
     */
    static boolean neverAccepted(Throwable cause) {
        return cause instanceof RecordTooLargeException || cause instanceof InvalidTopicException || cause instanceof SerializationException
                || cause instanceof RecordBatchTooLargeException;
    }

    private static String reason(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e.getClass().getSimpleName() + ": " + (message.length() > 500 ? message.substring(0, 500) + "…" : message);
    }

    /** Sets the rows Kafka can never take aside, with their reason: the events behind them are published. */
    private void park(Connection connection, Map<Long, String> parking) throws SQLException {
        if (parking.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement("update outbox_event set parked_at = ?, park_reason = ? where id = ?")) {
            for (Map.Entry<Long, String> row : parking.entrySet()) {
                update.setObject(1, java.time.OffsetDateTime.ofInstant(Instant.now(), java.time.ZoneOffset.UTC));
                update.setString(2, row.getValue());
                update.setLong(3, row.getKey());
                update.addBatch();
                Log.errorf("outbox relay: event row %d can never be published and is parked (the events after it go on): %s", row.getKey(),
                        row.getValue());
            }
            update.executeBatch();
        }
        parkings.increment(parking.size());
        backlogCountedAt = 0;
    }

    /** The number of unsent rows, for the backlog gauge, at most every five seconds. */
    private void countBacklog() throws SQLException {
        if (System.nanoTime() - backlogCountedAt < BACKLOG_EVERY_NANOS) {
            return;
        }
        backlogCountedAt = System.nanoTime();
        try (Connection connection = dataSource.getConnection(); PreparedStatement count = connection.prepareStatement(COUNT_UNSENT);
                ResultSet result = count.executeQuery()) {
            result.next();
            backlog.set(result.getLong(1));
            parked.set(result.getLong(2));
        }
    }

    private static boolean lockRelay(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "select pg_try_advisory_xact_lock(hashtext('lifeboat.outbox-relay.' || current_schema()))");
                ResultSet result = lock.executeQuery()) {
            return result.next() && result.getBoolean(1);
        }
    }

    /** A row that cannot become a record (an unknown type): parked, never retried. */
    static final class UnpublishableException extends Exception {
        UnpublishableException(String message) {
            super(message);
        }
    }

    private static ProducerRecord<String, byte[]> toRecord(ResultSet row) throws SQLException, UnpublishableException {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(row.getString("topic"), row.getString("partition_key"),
                row.getString("payload").getBytes(StandardCharsets.UTF_8));
        long id = row.getLong("id");
        String typeName = row.getString("type");
        EventType type = EventType.ofCeType(typeName).orElse(null);
        if (type == null) {
            throw new UnpublishableException("outbox row " + id + " has the unknown type '" + typeName + "'");
        }
        EventCodec.writeHeaders(record.headers(), row.getObject("event_id", UUID.class), type, row.getString("source"),
                row.getString("cluster_id"), row.getObject("created_at", java.time.OffsetDateTime.class).toInstant());
        addHeader(record, "traceparent", row.getString("traceparent"));
        addHeader(record, "tracestate", row.getString("tracestate"));
        return record;
    }

    private static void addHeader(ProducerRecord<String, byte[]> record, String name, String value) {
        if (value != null && !value.isEmpty()) {
            record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void markSent(Connection connection, List<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement("update outbox_event set sent_at = ? where id = any(?)")) {
            Array array = connection.createArrayOf("bigint", ids.toArray());
            update.setObject(1, java.time.OffsetDateTime.ofInstant(Instant.now(), java.time.ZoneOffset.UTC));
            update.setArray(2, array);
            update.executeUpdate();
        }
    }
}
