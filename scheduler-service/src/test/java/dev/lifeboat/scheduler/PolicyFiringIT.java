package dev.lifeboat.scheduler;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.scheduler.policy.Firing;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;

/** Policies fire due slots once each, on real PostgreSQL and Kafka. */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class PolicyFiringIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    AgroalDataSource db;
    @Inject
    Firing firing;

    private String cluster() {
        String id = "pol-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"endpoints\": [\"https://10.0.0.1:2379\"]}")
                .post("/api/v1/clusters").then().statusCode(201);
        return id;
    }

    private String policy(String cluster, String json) {
        return given().contentType(ContentType.JSON).body(json).post("/api/v1/clusters/" + cluster + "/policies").then()
                .statusCode(201).extract().path("id");
    }

    @Test
    void anEveryPolicyFiresEachSlotOnceWithDeterministicIds() throws Exception {
        String cluster = cluster();
        String policy = policy(cluster, "{\"id\": \"often\", \"schedule\": \"@every 2s\", \"retention\": {\"keepLast\": 10}}");
        BackupPolicySet set = (BackupPolicySet) EventCodec.decode(TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS,
                r -> cluster.equals(r.key()) && EventType.BACKUP_POLICY_SET.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)),
                1, Duration.ofSeconds(30)).get(0)).payload();
        assertEquals(10, set.retention().keepLast());

        List<SnapshotRequested> fired = requests(cluster, 3, Duration.ofSeconds(20));
        assertTrue(fired.size() >= 3, "fired: " + fired);
        Set<String> ids = fired.stream().map(SnapshotRequested::requestId).collect(Collectors.toSet());
        assertEquals(fired.size(), ids.size(), "no slot fired twice: " + ids);
        for (SnapshotRequested request : fired) {
            assertTrue(request.requestId().matches("policy-" + cluster + "-" + policy + "-\\d+"), request.requestId());
            assertEquals(0, Long.parseLong(request.requestId().substring(request.requestId().lastIndexOf('-') + 1)) % 2);
            assertEquals(policy, request.policyId());
        }
        given().delete("/api/v1/clusters/" + cluster + "/policies/" + policy).then().statusCode(204);
    }

    @Test
    void twoReplicasFiringAtOnceFireTheSlotOnce() throws Exception {
        String cluster = cluster();
        String policy = policy(cluster, "{\"schedule\": \"@every 1h\", \"startingDeadlineSeconds\": 7200}");
        makeDue(policy, "interval '10 minutes'");
        Instant now = Instant.now();
        CompletableFuture<?> first = CompletableFuture.runAsync(() -> fire(now));
        CompletableFuture<?> second = CompletableFuture.runAsync(() -> fire(now));
        CompletableFuture.allOf(first, second).get();
        // the service's own ticker is a third replica: when it held the row, both calls above skipped it and
        // its transaction may not have committed yet — wait for the claim, then check there is exactly one
        assertEquals(1, claimedSlots(policy, Duration.ofSeconds(10)));
        String slot = "policy-" + cluster + "-" + policy + "-" + (now.getEpochSecond() / 3600 * 3600);
        assertEquals(List.of(slot), slotsUpTo(requests(cluster, 2, Duration.ofSeconds(5)), now).stream()
                .map(SnapshotRequested::requestId).toList());
    }

    @Test
    void missedSlotsFireOnceOnReturnAndOnlyWithinTheStartingDeadline() throws Exception {
        String cluster = cluster();
        String recent = policy(cluster, "{\"schedule\": \"@every 1m\", \"startingDeadlineSeconds\": 3600}");
        Instant returned = Instant.now();
        makeDue(recent, "interval '10 minutes'");
        List<SnapshotRequested> fired = requests(cluster, 3, Duration.ofSeconds(6));
        // none of the nine older missed slots fires: only the latest one, plus the next regular slot when a minute
        // boundary passes while we wait
        long latestMissed = returned.getEpochSecond() / 60 * 60;
        assertTrue(!fired.isEmpty() && fired.size() <= 2, "ten missed slots fire once: " + fired);
        assertTrue(fired.stream().allMatch(r -> slot(r) >= latestMissed), "only the latest missed slot: " + fired);
        assertEquals(fired.size(), fired.stream().map(SnapshotRequested::requestId).distinct().count(), "no slot twice: " + fired);

        String strict = policy(cluster(), "{\"id\": \"strict\", \"schedule\": \"@every 1h\", \"startingDeadlineSeconds\": 0}");
        makeDue(strict, "interval '2 hours'");
        Thread.sleep(2500);
        assertEquals(0, count("select count(*) from fired_slot where policy_id = ?", strict), "past its deadline: not fired");
        assertTrue(count("select count(*) from policy where id = ? and next_fire_at > now()", strict) == 1, "moved on");
    }

    @Test
    void badPoliciesAreRefusedNamingTheField() {
        String cluster = cluster();
        refused(cluster, "{\"schedule\": \"61 * * * *\"}", "schedule");
        refused(cluster, "{\"schedule\": \"@daily\", \"timeZone\": \"Mars/Olympus\"}", "timeZone");
        refused(cluster, "{\"schedule\": \"@daily\", \"kind\": \"INCREMENTAL\"}", "kind");
        refused(cluster, "{\"schedule\": \"@daily\", \"kind\": \"DELTA\"}", "schedule");
        refused(cluster, "{\"schedule\": \"@every 5m\", \"kind\": \"DELTA\", \"retention\": {\"keepLast\": 3}}", "retention");
        refused(cluster, "{\"schedule\": \"@every 5m\", \"kind\": \"DELTA\", \"deltaMaxBytes\": 10}", "deltaMaxBytes");
        refused(cluster, "{\"schedule\": \"@daily\", \"deltaMaxBytes\": 4096}", "deltaMaxBytes");
        refused(cluster, "{\"schedule\": \"@daily\", \"jitter\": \"soon\"}", "jitter");
        refused(cluster, "{\"schedule\": \"@daily\", \"retention\": {\"keepLast\": 0}}", "retention.keepLast");
        given().contentType(ContentType.JSON).body("{\"schedule\": \"@daily\"}").post("/api/v1/clusters/nobody/policies").then()
                .statusCode(404);
        given().get("/api/v1/clusters/" + cluster + "/policies").then().statusCode(200).body("size()", equalTo(0));
    }

    @Test
    void aDeltaPolicyIsAnnouncedAndNeverFiresASlot() throws Exception {
        String cluster = cluster();
        String policy = policy(cluster, "{\"id\": \"capture\", \"schedule\": \"@every 1s\", \"kind\": \"DELTA\", \"deltaMaxBytes\": 4096}");
        BackupPolicySet set = (BackupPolicySet) EventCodec.decode(TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS,
                r -> cluster.equals(r.key()) && EventType.BACKUP_POLICY_SET.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)),
                1, Duration.ofSeconds(30)).get(0)).payload();
        assertEquals(dev.lifeboat.events.SnapshotKind.DELTA, set.kind());
        assertEquals(4096L, set.deltaMaxBytes());
        assertEquals("@every 1s", set.schedule());
        given().get("/api/v1/clusters/" + cluster + "/policies").then().statusCode(200)
                .body("[0].kind", equalTo("DELTA")).body("[0].deltaMaxBytes", equalTo(4096)).body("[0].nextFireAt", org.hamcrest.Matchers.nullValue());

        fire(Instant.now().plusSeconds(60));
        assertEquals(List.of(), requests(cluster, 1, Duration.ofSeconds(4)), "capture runs in snapshot-service; no slot fires");
        assertEquals(0, count("select count(*) from fired_slot where policy_id = ?", policy));

        given().contentType(ContentType.JSON).body("{\"id\": \"second\", \"schedule\": \"@every 5m\", \"kind\": \"DELTA\"}")
                .post("/api/v1/clusters/" + cluster + "/policies").then().statusCode(400)
                .body("error", org.hamcrest.Matchers.containsString("has DELTA policy 'capture' already"));
        String defaulted = policy(cluster, "{\"id\": \"capture\", \"schedule\": \"@every 5m\", \"kind\": \"DELTA\"}");
        assertEquals("capture", defaulted);
        given().get("/api/v1/clusters/" + cluster + "/policies").then().body("[0].deltaMaxBytes", equalTo(100 << 20));
    }

    /**
     * A DRILL policy fires a DrillRequested of the newest full snapshot at each slot, for restore-service; it is no backup
     * policy, so snapshot-service and retention hear nothing of it — and a backup policy turned into one is deleted for them.
     */
    @Test
    void aDrillPolicyFiresDrillRequestsAndIsNoBackupPolicy() throws Exception {
        String cluster = cluster();
        refused(cluster, "{\"schedule\": \"@daily\", \"kind\": \"DRILL\", \"retention\": {\"keepLast\": 3}}", "retention");
        refused(cluster, "{\"schedule\": \"@daily\", \"kind\": \"DRILL\", \"deltaMaxBytes\": 4096}", "deltaMaxBytes");
        policy(cluster, "{\"id\": \"switch\", \"schedule\": \"@daily\"}");
        String drill = policy(cluster, "{\"id\": \"switch\", \"schedule\": \"@every 2s\", \"kind\": \"drill\"}");
        given().get("/api/v1/clusters/" + cluster + "/policies").then().statusCode(200)
                .body("[0].kind", equalTo("DRILL")).body("[0].drillSnapshot", equalTo("latest"))
                .body("[0].nextFireAt", org.hamcrest.Matchers.notNullValue());

        List<DrillRequested> fired = TopicProbe.await(bootstrap, Topics.RESTORE_REQUESTS,
                r -> cluster.equals(r.key()) && EventType.DRILL_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 2,
                Duration.ofSeconds(20)).stream().map(r -> (DrillRequested) EventCodec.decode(r).payload()).toList();
        assertTrue(fired.size() >= 2, "fired: " + fired);
        assertEquals(fired.size(), fired.stream().map(DrillRequested::drillId).distinct().count(), "no slot fired twice: " + fired);
        for (DrillRequested request : fired) {
            assertTrue(request.drillId().matches("policy-" + cluster + "-" + drill + "-\\d+"), request.drillId());
            assertEquals("latest", request.snapshot());
            assertEquals("policy " + drill, request.requester());
        }
        assertEquals(List.of(), requests(cluster, 1, Duration.ofSeconds(1)), "a DRILL policy asks for no snapshot");
        List<String> announced = TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS, r -> cluster.equals(r.key()), 4, Duration.ofSeconds(3)).stream()
                .map(r -> TopicProbe.header(r, EventCodec.H_TYPE)).filter(type -> type.contains("policy")).toList();
        assertEquals(List.of(EventType.BACKUP_POLICY_SET.ceType(), EventType.BACKUP_POLICY_DELETED.ceType()), announced,
                "the FULL policy was announced, and deleted when it became a DRILL policy");

        // an id too long for a drill id (a DNS label) is shortened to a hash of cluster and policy, the slot kept; this policy
        // drills each new full snapshot (the oldest one no drill judged yet)
        String longId = "a-rather-long-policy-id-for-the-nightly-restore-drill-of-prod";
        policy(cluster, "{\"id\": \"" + longId + "\", \"schedule\": \"@every 1h\", \"kind\": \"DRILL\", \"startingDeadlineSeconds\": 7200, "
                + "\"drillSnapshot\": \"undrilled\"}");
        given().get("/api/v1/clusters/" + cluster + "/policies").then().statusCode(200)
                .body("find { it.id == '" + longId + "' }.drillSnapshot", equalTo("undrilled"));
        makeDue(longId, "interval '10 minutes'");
        fire(Instant.now());
        List<DrillRequested> hashed = TopicProbe.await(bootstrap, Topics.RESTORE_REQUESTS,
                r -> cluster.equals(r.key()) && EventType.DRILL_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 50,
                Duration.ofSeconds(5)).stream().map(r -> (DrillRequested) EventCodec.decode(r).payload())
                .filter(r -> r.requester().equals("policy " + longId)).toList();
        assertEquals(1, hashed.size(), "the due slot fired once: " + hashed);
        assertTrue(hashed.get(0).drillId().matches("policy-[0-9a-f]{16}-\\d+"), hashed.get(0).drillId());
        assertEquals("undrilled", hashed.get(0).snapshot());

        given().delete("/api/v1/clusters/" + cluster + "/policies/" + drill).then().statusCode(204);
        given().delete("/api/v1/clusters/" + cluster + "/policies/" + longId).then().statusCode(204);
        assertEquals(1, TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS, r -> cluster.equals(r.key())
                && EventType.BACKUP_POLICY_DELETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 2, Duration.ofSeconds(3)).size(),
                "deleting a DRILL policy announces nothing to the backup services");
    }

    private void refused(String cluster, String json, String field) {
        given().contentType(ContentType.JSON).body(json).post("/api/v1/clusters/" + cluster + "/policies").then().statusCode(400)
                .body("field", equalTo(field));
    }

    private void fire(Instant now) {
        try {
            VertxContextSupport.subscribeAndAwait(() -> firing.fireDue(now));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private List<SnapshotRequested> requests(String cluster, int wanted, Duration wait) {
        List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(bootstrap, Topics.SNAPSHOT_REQUESTS,
                r -> cluster.equals(r.key()) && EventType.SNAPSHOT_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)),
                wanted, wait);
        return records.stream().map(r -> (SnapshotRequested) EventCodec.decode(r).payload()).toList();
    }

    private static long slot(SnapshotRequested request) {
        return Long.parseLong(request.requestId().substring(request.requestId().lastIndexOf('-') + 1));
    }

    /** The requests for slots at or before {@code instant}; later ones are regular firings of the next slot. */
    private static List<SnapshotRequested> slotsUpTo(List<SnapshotRequested> requests, Instant instant) {
        return requests.stream().filter(r -> slot(r) <= instant.getEpochSecond()).toList();
    }

    /** The policy's claimed slots, once there is at least one or {@code wait} has passed. */
    private int claimedSlots(String policy, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        int claimed = count("select count(*) from fired_slot where policy_id = ?", policy);
        while (claimed == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            claimed = count("select count(*) from fired_slot where policy_id = ?", policy);
        }
        return claimed;
    }

    /** Moves the policy's next slot into the past, as if the scheduler had been down since, and tells the firing to look. */
    private void makeDue(String policy, String ago) throws Exception {
        try (Connection connection = db.getConnection();
                PreparedStatement update = connection.prepareStatement("update policy set next_fire_at = now() - " + ago + " where id = ?")) {
            update.setString(1, policy);
            assertEquals(1, update.executeUpdate());
        }
        firing.wake();
    }

    private int count(String sql, String parameter) throws Exception {
        try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, parameter);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }
}
