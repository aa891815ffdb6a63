package dev.lifeboat.scheduler;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.BackupRejected;
import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;

/** BackupRequested from other services, and pause/resume for restores, over real Kafka. */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class BackupRequestsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    AgroalDataSource db;

    private String registered() {
        String id = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"endpoints\": [\"https://10.0.0.1:2379\"]}")
                .post("/api/v1/clusters").then().statusCode(201);
        return id;
    }

    @Test
    void aValidRequestBecomesASnapshotRequestWithADerivedId() {
        String cluster = registered();
        TestEvents.publish(bootstrap, "lifeboat/upgrade-controller", new BackupRequested(cluster, "before upgrade", "upgrade-controller", "u-42"));
        SnapshotRequested requested = (SnapshotRequested) await(cluster, EventType.SNAPSHOT_REQUESTED);
        assertEquals("backup-u-42", requested.requestId());
        assertEquals("before upgrade", requested.reason());
    }

    @Test
    void anUnknownClusterIsRejectedWithTheReason() {
        String cluster = "ghost-" + UUID.randomUUID().toString().substring(0, 8);
        TestEvents.publish(bootstrap, "lifeboat/upgrade-controller", new BackupRequested(cluster, null, "upgrade-controller", null));
        BackupRejected rejected = (BackupRejected) await(cluster, EventType.BACKUP_REJECTED);
        assertTrue(rejected.reason().startsWith("unknown-cluster: "), rejected.reason());
        assertEquals(0, TopicProbe.await(bootstrap, Topics.SNAPSHOT_REQUESTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, Duration.ofSeconds(2)).size());
    }

    @Test
    void aPausedClusterRejectsBackupsUntilResumed() {
        String cluster = registered();
        TestEvents.publish(bootstrap, "lifeboat/restore-service", new ClusterPauseRequested(cluster, "restore-1", "restore"));
        await(cluster, EventType.CLUSTER_PAUSED);
        given().get("/api/v1/clusters/" + cluster).then().body("paused", equalTo(true)).body("pausedBy", equalTo("restore-1"));

        TestEvents.publish(bootstrap, "lifeboat/ci", new BackupRequested(cluster, null, "ci", "p-1"));
        BackupRejected rejected = (BackupRejected) await(cluster, EventType.BACKUP_REJECTED);
        assertTrue(rejected.reason().startsWith("paused: "), rejected.reason());
        given().contentType(ContentType.JSON).post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(409);

        TestEvents.publish(bootstrap, "lifeboat/restore-service", new ClusterResumeRequested(cluster, "restore-1"));
        await(cluster, EventType.CLUSTER_RESUMED);
        given().get("/api/v1/clusters/" + cluster).then().body("paused", equalTo(false));
        given().contentType(ContentType.JSON).post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202);
    }

    /**
     * A failed REPLACE leaves its cluster paused; an operator resumes it by hand — refused while a restore of
     * the cluster runs, audited as ClusterResumed with who and why once it ended.
     */
    @Test
    void anOperatorResumesAClusterARestoreLeftPausedOnlyOnceTheRestoreEnded() throws Exception {
        String cluster = registered();
        String restore = "restore-" + UUID.randomUUID().toString().substring(0, 8);
        TestEvents.publish(bootstrap, "lifeboat/restore-service", phase(restore, cluster, RestorePhase.PAUSING));
        TestEvents.publish(bootstrap, "lifeboat/restore-service", new ClusterPauseRequested(cluster, restore, "restore"));
        await(cluster, EventType.CLUSTER_PAUSED);
        TestEvents.publish(bootstrap, "lifeboat/restore-service", phase(restore, cluster, RestorePhase.RESTORING));
        awaitPhase(restore, "RESTORING");

        String alice = "Bearer " + LocalStackResource.token("alice", List.of("operator"), List.of(cluster));
        given().header("Authorization", alice).contentType(ContentType.JSON).body("{\"reason\": \"too early\"}")
                .post("/api/v1/clusters/" + cluster + "/resume").then().statusCode(409)
                .body("error", equalTo("restore " + restore + " of cluster '" + cluster + "' is running (RESTORING); it resumes the cluster when it ends"));
        given().get("/api/v1/clusters/" + cluster).then().body("paused", equalTo(true));

        TestEvents.publish(bootstrap, "lifeboat/restore-service", phase(restore, cluster, RestorePhase.FAILED));
        awaitPhase(restore, "FAILED");
        given().header("Authorization", alice).contentType(ContentType.JSON).body("{\"reason\": \"members checked by hand\"}")
                .post("/api/v1/clusters/" + cluster + "/resume").then().statusCode(200).body("paused", equalTo(false));
        ClusterResumed resumed = (ClusterResumed) await(cluster, EventType.CLUSTER_RESUMED);
        assertEquals(null, resumed.restoreId());
        assertEquals("alice", resumed.resumedBy());
        assertEquals("members checked by hand", resumed.reason());
        given().contentType(ContentType.JSON).post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202);

        given().contentType(ContentType.JSON).post("/api/v1/clusters/" + cluster + "/resume").then().statusCode(200).body("paused", equalTo(false));
        assertEquals(1, TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS, r -> cluster.equals(r.key())
                && EventType.CLUSTER_RESUMED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 2, Duration.ofSeconds(3)).size(),
                "resuming a cluster that is not paused announces nothing");
        given().contentType(ContentType.JSON).post("/api/v1/clusters/nobody-" + cluster + "/resume").then().statusCode(404);
    }

    private static RestorePhaseChanged phase(String restore, String cluster, RestorePhase phase) {
        return new RestorePhaseChanged(restore, cluster, "s-1", RestoreMode.REPLACE, phase, null, phase == RestorePhase.FAILED ? "a member failed" : null,
                Instant.now());
    }

    private void awaitPhase(String restore, String phase) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (!phase.equals(storedPhase(restore))) {
            assertTrue(Instant.now().isBefore(deadline), "the scheduler did not learn that restore " + restore + " is " + phase);
            Thread.sleep(100);
        }
    }

    private String storedPhase(String restore) throws Exception {
        try (Connection connection = db.getConnection();
                PreparedStatement query = connection.prepareStatement("select phase from restore_progress where restore_id = ?")) {
            query.setString(1, restore);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    @Test
    void malformedJsonGoesToTheDeadLetterTopicAndTheNextRequestIsServed() throws Exception {
        String cluster = registered();
        String badId = UUID.randomUUID().toString();
        ProducerRecord<String, byte[]> bad = new ProducerRecord<>(Topics.BACKUP_REQUESTS, cluster, "{\"clusterId\": ".getBytes(StandardCharsets.UTF_8));
        EventCodec.writeHeaders(bad.headers(), UUID.fromString(badId), EventType.BACKUP_REQUESTED, "lifeboat/ci", cluster, Instant.now());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(bad).get();
        }
        TestEvents.publish(bootstrap, "lifeboat/ci", new BackupRequested(cluster, null, "ci", "after-bad"));

        List<ConsumerRecord<String, byte[]>> dead = TopicProbe.await(bootstrap, Topics.deadLetter("scheduler"),
                r -> badId.equals(TopicProbe.header(r, EventCodec.H_ID)), 1, WAIT);
        assertEquals(1, dead.size());
        assertTrue(TopicProbe.header(dead.get(0), "dead-letter-reason").contains("not valid JSON"));
        assertEquals("backup-after-bad", ((SnapshotRequested) await(cluster, EventType.SNAPSHOT_REQUESTED)).requestId());
    }

    private LifeboatEvent await(String cluster, EventType type) {
        List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(bootstrap, type.topic(),
                r -> cluster.equals(r.key()) && type.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT);
        assertEquals(1, records.size(), type + " for " + cluster);
        return EventCodec.decode(records.get(0)).payload();
    }
}
