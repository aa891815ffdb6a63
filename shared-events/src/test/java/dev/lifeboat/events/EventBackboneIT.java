package dev.lifeboat.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.app.NoteService;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.deadletter.DeadLetters;
import dev.lifeboat.events.outbox.EventLogRetention;
import dev.lifeboat.events.outbox.OutboxRelay;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.PostgresServer;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.RestAssured;
import jakarta.inject.Inject;

/**
 * The event backbone on real Kafka and PostgreSQL: outbox atomicity, the relay after a stop, exactly-once
 * effects under redelivery, dead-lettering of malformed records only, and an event that waits out a database outage.
 */
@QuarkusTest
@WithTestResource(value = LocalStackResource.class,
        initArgs = @ResourceArg(name = "topics", value = "lifeboat.dead-letter.test:1"))
class EventBackboneIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DEAD_LETTER = "lifeboat.dead-letter.test";

    @Inject
    NoteService notes;
    @Inject
    OutboxRelay relay;
    @Inject
    EventLogRetention eventLog;
    @Inject
    AgroalDataSource db;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;
    @ConfigProperty(name = "quarkus.datasource.username")
    String user;
    @ConfigProperty(name = "quarkus.datasource.password")
    java.util.Optional<String> password;

    @Test
    void stateChangeAndEventCommitTogether() throws Throwable {
        String committed = cluster("commit");
        run(() -> notes.register(committed, false));
        assertEquals(1, count("select count(*) from test_note where cluster_id = ?", committed));
        assertEquals(1, count("select count(*) from outbox_event where cluster_id = ?", committed));
        assertEquals(1, onTopic(Topics.CLUSTER_EVENTS, committed, 1).size());

        String failed = cluster("rollback");
        RuntimeException failure = assertThrows(RuntimeException.class, () -> run(() -> notes.register(failed, true)));
        assertTrue(failure.getMessage().contains("forced failure"), failure.getMessage());
        assertEquals(0, count("select count(*) from test_note where cluster_id = ?", failed));
        assertEquals(0, count("select count(*) from outbox_event where cluster_id = ?", failed));
        // The next event of the same partition key arrives, the rolled-back one never does.
        run(() -> notes.update(failed));
        List<ConsumerRecord<String, byte[]>> seen = onTopic(Topics.CLUSTER_EVENTS, failed, 1);
        assertEquals(List.of(EventType.CLUSTER_UPDATED.ceType()), types(seen));
        assertEquals(List.of(EventType.CLUSTER_UPDATED.ceType()), types(onTopic(Topics.CLUSTER_EVENTS, failed, 2)));
    }

    @Test
    void eventCommittedWhileRelayIsDownIsPublishedAfterRestartAndAppliedOnce() throws Throwable {
        String cluster = cluster("relay");
        long stopping = System.nanoTime();
        relay.stop();
        Duration stopped = Duration.ofNanos(System.nanoTime() - stopping);
        // idle, the relay waits for a commit up to idle-wait (30 s) in one read; stop() ends that wait with a notification
        assertTrue(stopped.compareTo(Duration.ofSeconds(10)) < 0, "the relay stopped after " + stopped.toMillis() + " ms");
        try {
            run(() -> notes.register(cluster, false));
            assertEquals(1, count("select count(*) from outbox_event where cluster_id = ? and sent_at is null", cluster));
            assertEquals(0, TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS, keyed(cluster), 1, Duration.ofSeconds(3)).size(),
                    "nothing is published while the relay is down");
        } finally {
            relay.start();
        }
        List<ConsumerRecord<String, byte[]>> published = onTopic(Topics.CLUSTER_EVENTS, cluster, 1);
        assertEquals(1, published.size());
        ConsumerRecord<String, byte[]> record = published.get(0);
        assertEquals(EventType.CLUSTER_REGISTERED.ceType(), TopicProbe.header(record, EventCodec.H_TYPE));
        assertEquals(cluster, TopicProbe.header(record, EventCodec.H_SUBJECT));
        assertEquals("lifeboat/events-test", TopicProbe.header(record, EventCodec.H_SOURCE));
        assertEquals("1.0", TopicProbe.header(record, EventCodec.H_SPEC_VERSION));
        assertTrue(new String(record.value(), StandardCharsets.UTF_8).contains("\"clusterId\":\"" + cluster + "\""));
        awaitEffect(cluster, EventType.CLUSTER_REGISTERED, 1);
        assertEquals(0, count("select count(*) from outbox_event where cluster_id = ? and sent_at is null", cluster));
    }

    @Test
    void redeliveredEventHasOneEffect() throws Throwable {
        String cluster = cluster("dup");
        run(() -> notes.register(cluster, false));
        awaitEffect(cluster, EventType.CLUSTER_REGISTERED, 1);

        // As after a crash between Kafka's ack and the commit of sent_at: the relay publishes the row again.
        try (Connection connection = db.getConnection();
                PreparedStatement reset = connection.prepareStatement("update outbox_event set sent_at = null where cluster_id = ?")) {
            reset.setString(1, cluster);
            assertEquals(1, reset.executeUpdate());
        }
        run(() -> notes.update(cluster));
        List<ConsumerRecord<String, byte[]>> records = onTopic(Topics.CLUSTER_EVENTS, cluster, 3);
        assertEquals(3, records.size(), "the registration twice, then the update");
        Set<String> registrationIds = records.stream()
                .filter(r -> EventType.CLUSTER_REGISTERED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)))
                .map(r -> TopicProbe.header(r, EventCodec.H_ID)).collect(Collectors.toSet());
        assertEquals(1, registrationIds.size(), "both deliveries carry the same event id");

        // The update is behind the duplicate in the same partition: once it is applied, the duplicate was seen.
        awaitEffect(cluster, EventType.CLUSTER_UPDATED, 1);
        assertEquals(1, effect(cluster, EventType.CLUSTER_REGISTERED));
        assertEquals(1, count("select count(*) from processed_event where event_id = ?::uuid", registrationIds.iterator().next()));
    }

    @Test
    void malformedRecordsGoToTheDeadLetterTopicAndConsumptionContinues() throws Throwable {
        String cluster = cluster("dlq");
        String badJson = UUID.randomUUID().toString();
        String unknownType = UUID.randomUUID().toString();
        String missingField = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(raw(cluster, badJson, EventType.CLUSTER_REGISTERED.ceType(), "{not json")).get();
            producer.send(raw(cluster, unknownType, "lifeboat.cluster.exploded.v1", "{\"clusterId\":\"" + cluster + "\"}")).get();
            producer.send(raw(cluster, missingField, EventType.CLUSTER_REGISTERED.ceType(), "{\"clusterId\":\"" + cluster + "\"}")).get();
        }
        run(() -> notes.register(cluster, false));

        List<ConsumerRecord<String, byte[]>> dead = TopicProbe.await(bootstrap, DEAD_LETTER, keyed(cluster), 3, WAIT);
        Map<String, String> reasons = dead.stream().collect(Collectors.toMap(
                r -> TopicProbe.header(r, EventCodec.H_ID), r -> TopicProbe.header(r, "dead-letter-reason")));
        assertEquals(Set.of(badJson, unknownType, missingField), reasons.keySet());
        assertTrue(reasons.get(badJson).contains("not valid JSON"), reasons.get(badJson));
        assertTrue(reasons.get(unknownType).contains("unknown event type 'lifeboat.cluster.exploded.v1'"), reasons.get(unknownType));
        assertTrue(reasons.get(missingField).contains("missing field spec"), reasons.get(missingField));

        awaitEffect(cluster, EventType.CLUSTER_REGISTERED, 1);
        assertEquals(0, count("select count(*) from processed_event where event_id = ?::uuid", badJson));
    }

    @Test
    void aDeadLetteredRecordIsListedWithItsReasonAndReplayedToTheTopicItCameFrom() throws Throwable {
        String cluster = cluster("replay");
        String id = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(raw(cluster, id, EventType.CLUSTER_REGISTERED.ceType(), "{not json")).get();
        }
        assertEquals(1, TopicProbe.await(bootstrap, DEAD_LETTER, keyed(cluster), 1, WAIT).size());

        io.restassured.path.json.JsonPath listed = RestAssured.given().queryParam("topic", DEAD_LETTER).queryParam("limit", 1000)
                .get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(DEAD_LETTER), listed.getList("topics"), "the service's dead-letter topics, from its channel configuration");
        Map<String, Object> letter = listed.<Map<String, Object>>getList("records").stream().filter(r -> id.equals(r.get("eventId")))
                .findFirst().orElseThrow(() -> new AssertionError("the dead-lettered record is listed: " + listed.prettify()));
        assertEquals(Topics.CLUSTER_EVENTS, letter.get("originalTopic"));
        assertEquals(cluster, letter.get("key"));
        assertEquals(EventType.CLUSTER_REGISTERED.ceType(), letter.get("type"));
        assertTrue(String.valueOf(letter.get("reason")).contains("not valid JSON"), String.valueOf(letter.get("reason")));
        assertEquals(null, letter.get("body"), "the listing never shows a record's body");

        int partition = (Integer) letter.get("partition");
        long offset = ((Number) letter.get("offset")).longValue();
        io.restassured.path.json.JsonPath replayed = RestAssured.given()
                .post("/api/v1/dead-letters/" + DEAD_LETTER + "/" + partition + "/" + offset + "/replay").then().statusCode(200)
                .extract().jsonPath();
        String from = DEAD_LETTER + "/" + partition + "@" + offset;
        assertEquals(from, replayed.getString("from"));
        assertEquals(Topics.CLUSTER_EVENTS, replayed.getString("topic"));
        List<ConsumerRecord<String, byte[]>> again = TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS,
                r -> cluster.equals(r.key()) && from.equals(TopicProbe.header(r, DeadLetters.H_REPLAYED_FROM)), 1, WAIT);
        assertEquals(1, again.size(), "the record is back on the topic it came from");
        assertEquals(id, TopicProbe.header(again.get(0), EventCodec.H_ID), "with its event id");
        assertEquals("{not json", new String(again.get(0).value(), StandardCharsets.UTF_8), "and its body");
        assertEquals(null, TopicProbe.header(again.get(0), "dead-letter-reason"), "without the dead-letter headers");
        // Still malformed (nothing fixed it): dead-lettered again, naming the replay it came from.
        List<ConsumerRecord<String, byte[]>> deadAgain = TopicProbe.await(bootstrap, DEAD_LETTER,
                r -> cluster.equals(r.key()) && from.equals(TopicProbe.header(r, DeadLetters.H_REPLAYED_FROM)), 1, WAIT);
        assertEquals(1, deadAgain.size());

        RestAssured.given().post("/api/v1/dead-letters/" + DEAD_LETTER + "/" + partition + "/999999999/replay").then().statusCode(404)
                .body("field", org.hamcrest.Matchers.equalTo("offset"));
        RestAssured.given().post("/api/v1/dead-letters/lifeboat.snapshot-events/0/0/replay").then().statusCode(404)
                .body("field", org.hamcrest.Matchers.equalTo("topic"));
        RestAssured.given().noFilters().get("/api/v1/dead-letters").then().statusCode(401);
    }

    /**
     * PostgreSQL unreachable for longer than the consumer's old retry budget (about 6 s, after which the event went
     * to the dead-letter topic and was lost): the record waits, readiness says why, and once the database is back the
     * event is applied once. Nothing is dead-lettered.
     */
    @Test
    void anEventArrivingWhilePostgresIsUnreachableWaitsAndIsAppliedOnceNeverDeadLettered() throws Throwable {
        String cluster = cluster("outage");
        UUID id;
        PostgresServer.setReachable(jdbcUrl, user, password.orElse(""), false);
        try {
            id = TestEvents.publish(bootstrap, "lifeboat/test", new ClusterRegistered(cluster,
                    new ClusterSpec("test", List.of("http://127.0.0.1:2379"), null, null, null, List.of(), false, false)));
            // Readiness turns DOWN once the consumer has waited STALLED_AFTER (10 s) on the record, longer than the
            // old retry budget. Polled: the consumer's first join of its group can take seconds when this test runs first.
            Instant deadline = Instant.now().plus(WAIT).plus(EventConsumer.STALLED_AFTER);
            String readiness;
            do {
                Thread.sleep(500);
                readiness = RestAssured.given().get("/q/health/ready").then().statusCode(503).extract().asString();
            } while (!readiness.contains("waiting") && Instant.now().isBefore(deadline));
            assertTrue(readiness.contains("event consumers") && readiness.contains("events-test") && readiness.contains("waiting"), readiness);
            assertEquals(0, TopicProbe.await(bootstrap, DEAD_LETTER, keyed(cluster), 1, Duration.ofSeconds(1)).size(),
                    "an event that failed only because PostgreSQL was down is not dead-lettered");
        } finally {
            PostgresServer.setReachable(jdbcUrl, user, password.orElse(""), true);
        }
        db.flush(AgroalDataSource.FlushMode.ALL);
        awaitEffect(cluster, EventType.CLUSTER_REGISTERED, 1);
        assertEquals(1, count("select count(*) from processed_event where event_id = ?::uuid", id.toString()));
        assertEquals(0, TopicProbe.await(bootstrap, DEAD_LETTER, keyed(cluster), 1, Duration.ofSeconds(2)).size());
        RestAssured.given().get("/q/health/ready").then().statusCode(200);
    }

    /** Published outbox rows and processed-event records older than the retention go; recent or unpublished rows stay. */
    @Test
    void theEventLogPrunesOldPublishedRowsAndKeepsRecentAndUnpublishedOnes() throws Exception {
        String cluster = cluster("prune");
        Instant now = Instant.now();
        String payload = new String(EventCodec.encode(new ClusterUpdated(cluster,
                new ClusterSpec("test", List.of("http://127.0.0.1:2379"), null, null, null, List.of(), false, false))), StandardCharsets.UTF_8);
        UUID oldSent = UUID.randomUUID();
        UUID oldUnsent = UUID.randomUUID();
        UUID recentSent = UUID.randomUUID();
        try (Connection connection = db.getConnection(); PreparedStatement insert = connection.prepareStatement("""
                insert into outbox_event (event_id, cluster_id, partition_key, topic, type, source, payload, created_at, sent_at)
                values (?, ?, ?, ?, ?, 'lifeboat/events-test', ?, ?, ?)""")) {
            for (Object[] row : new Object[][] {{oldSent, now.minus(Duration.ofDays(40))}, {oldUnsent, null}, {recentSent, now.minus(Duration.ofDays(1))}}) {
                insert.setObject(1, row[0]);
                insert.setString(2, cluster);
                insert.setString(3, cluster);
                insert.setString(4, Topics.CLUSTER_EVENTS);
                insert.setString(5, EventType.CLUSTER_UPDATED.ceType());
                insert.setString(6, payload);
                insert.setTimestamp(7, java.sql.Timestamp.from(now.minus(Duration.ofDays(40))));
                insert.setTimestamp(8, row[1] == null ? null : java.sql.Timestamp.from((Instant) row[1]));
                insert.executeUpdate();
            }
        }
        UUID oldProcessed = UUID.randomUUID();
        UUID recentProcessed = UUID.randomUUID();
        try (Connection connection = db.getConnection(); PreparedStatement insert = connection.prepareStatement(
                "insert into processed_event (consumer, event_id, type, processed_at) values ('prune-test', ?, 'x', ?)")) {
            insert.setObject(1, oldProcessed);
            insert.setTimestamp(2, java.sql.Timestamp.from(now.minus(Duration.ofDays(40))));
            insert.executeUpdate();
            insert.setObject(1, recentProcessed);
            insert.setTimestamp(2, java.sql.Timestamp.from(now.minus(Duration.ofDays(1))));
            insert.executeUpdate();
        }

        assertTrue(eventLog.prune(now.minus(Duration.ofDays(30))) >= 2);

        assertEquals(0, count("select count(*) from outbox_event where event_id = ?::uuid", oldSent.toString()), "published 40 days ago");
        assertEquals(1, count("select count(*) from outbox_event where event_id = ?::uuid", oldUnsent.toString()),
                "not published when the pruning ran: kept (the relay publishes it)");
        assertEquals(1, count("select count(*) from outbox_event where event_id = ?::uuid", recentSent.toString()));
        assertEquals(0, count("select count(*) from processed_event where event_id = ?::uuid", oldProcessed.toString()));
        assertEquals(1, count("select count(*) from processed_event where event_id = ?::uuid", recentProcessed.toString()));
    }

    /** An event Kafka can never take is parked with its reason, counted, and the events after it are published. */
    @Test
    void anEventKafkaCanNeverTakeIsParkedAndTheEventsBehindItArePublished() throws Throwable {
        String cluster = cluster("park");
        UUID tooLarge = UUID.randomUUID();
        UUID unknownType = UUID.randomUUID();
        try (Connection connection = db.getConnection(); PreparedStatement insert = connection.prepareStatement("""
                insert into outbox_event (event_id, cluster_id, partition_key, topic, type, source, payload, created_at)
                values (?, ?, ?, ?, ?, 'lifeboat/events-test', ?, now())""")) {
            // 2 MB: above the producer's max.request.size and the broker's message.max.bytes (1 MB each by default).
            Object[][] rows = {{tooLarge, EventType.CLUSTER_UPDATED.ceType(), "{\"clusterId\":\"" + cluster + "\",\"pad\":\"" + "x".repeat(2 << 20) + "\"}"},
                    {unknownType, "lifeboat.cluster.vanished.v9", "{}"}};
            for (Object[] row : rows) {
                insert.setObject(1, row[0]);
                insert.setString(2, cluster);
                insert.setString(3, cluster);
                insert.setString(4, Topics.CLUSTER_EVENTS);
                insert.setString(5, (String) row[1]);
                insert.setString(6, (String) row[2]);
                insert.executeUpdate();
            }
        }
        run(() -> notes.register(cluster, false));

        List<ConsumerRecord<String, byte[]>> published = onTopic(Topics.CLUSTER_EVENTS, cluster, 1);
        assertEquals(List.of(EventType.CLUSTER_REGISTERED.ceType()), types(published), "the event after the parked ones is published");
        assertEquals(1, count("select count(*) from outbox_event where event_id = ?::uuid and parked_at is not null and sent_at is null "
                + "and park_reason like 'RecordTooLargeException: %'", tooLarge.toString()));
        assertEquals(1, count("select count(*) from outbox_event where event_id = ?::uuid and parked_at is not null "
                + "and park_reason like '%unknown type ''lifeboat.cluster.vanished.v9''%'", unknownType.toString()));
        Instant deadline = Instant.now().plus(WAIT);
        String metrics;
        do {
            Thread.sleep(500);
            metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        } while (!metrics.lines().anyMatch(line -> line.startsWith("lifeboat_outbox_parked{") && !line.endsWith(" 0.0"))
                && Instant.now().isBefore(deadline));
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("lifeboat_outbox_parkings_total{") && !line.endsWith(" 0.0")), metrics);
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("lifeboat_outbox_parked{") && !line.endsWith(" 0.0")),
                "the parked gauge counts them: " + metrics.lines().filter(line -> line.contains("outbox")).toList());
    }

    private static ProducerRecord<String, byte[]> raw(String cluster, String id, String type, String body) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.CLUSTER_EVENTS, cluster, body.getBytes(StandardCharsets.UTF_8));
        EventCodec.writeHeaders(record.headers(), UUID.fromString(id), EventType.CLUSTER_REGISTERED, "lifeboat/test", cluster, Instant.now());
        record.headers().remove(EventCodec.H_TYPE);
        record.headers().add(EventCodec.H_TYPE, type.getBytes(StandardCharsets.UTF_8));
        return record;
    }

    private static String cluster(String purpose) {
        return purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static java.util.function.Predicate<ConsumerRecord<String, byte[]>> keyed(String key) {
        return record -> key.equals(record.key());
    }

    private List<ConsumerRecord<String, byte[]>> onTopic(String topic, String key, int wanted) {
        return TopicProbe.await(bootstrap, topic, keyed(key), wanted, wanted == 1 ? WAIT : Duration.ofSeconds(15));
    }

    private static List<String> types(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(r -> TopicProbe.header(r, EventCodec.H_TYPE)).toList();
    }

    private void awaitEffect(String cluster, EventType type, int expected) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (effect(cluster, type) < expected && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertEquals(expected, effect(cluster, type), "applied count of " + type + " for " + cluster);
    }

    private int effect(String cluster, EventType type) throws SQLException {
        return count("select coalesce(sum(applied), 0) from test_effect where cluster_id = ? and type = '" + type.ceType() + "'", cluster);
    }

    private int count(String sql, String parameter) throws SQLException {
        try (Connection connection = db.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    private static void run(java.util.function.Supplier<io.smallrye.mutiny.Uni<Void>> work) throws Throwable {
        VertxContextSupport.subscribeAndAwait(work);
    }
}
