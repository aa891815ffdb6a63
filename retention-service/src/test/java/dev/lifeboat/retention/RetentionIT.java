package dev.lifeboat.retention;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotFound;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotMissing;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * Retention against the local S3, Kafka and PostgreSQL: snapshot objects really in the bucket, events
 * as snapshot-service, the scheduler and restore-service publish them.
 */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class RetentionIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "lifeboat.s3.endpoint")
    String s3Endpoint;
    @ConfigProperty(name = "lifeboat.s3.access-key")
    String s3AccessKey;
    @ConfigProperty(name = "lifeboat.s3.secret-key")
    String s3SecretKey;
    @ConfigProperty(name = "lifeboat.s3.bucket")
    String bucket;
    @Inject
    AgroalDataSource db;

    private String cluster;
    private MinioClient s3;

    @BeforeEach
    void cluster() throws Exception {
        cluster = "ret-" + UUID.randomUUID().toString().substring(0, 8);
        s3 = MinioClient.builder().endpoint(s3Endpoint).region("us-east-1").credentials(s3AccessKey, s3SecretKey).build();
        TestEvents.publish(bootstrap, "scheduler-service", new ClusterRegistered(cluster,
                new ClusterSpec(null, List.of("http://127.0.0.1:2379"), null, null, null, List.of(), false, false)));
        awaitCount("select count(*) from cluster where id = ?", cluster, 1);
    }

    /** Snapshots one hour apart, the last one newest; objects in the bucket; returns their ids, oldest first. */
    private List<String> snapshots(int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "s" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            String key = "lifeboat/" + cluster + "/full/" + id + ".db";
            byte[] bytes = ("snapshot " + id).getBytes();
            s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
            Instant at = Instant.now().minus(Duration.ofHours(count - i));
            TestEvents.publish(bootstrap, "snapshot-service", new SnapshotCompleted(id, "req-" + id, cluster, SnapshotKind.FULL, 100 + i, null,
                    bucket, key, 1000, bytes.length, "a".repeat(64), "b".repeat(64), "none", null, "3.4.30", at.minusSeconds(10), at, null, null));
            ids.add(id);
        }
        awaitCount("select count(*) from snapshot where cluster_id = ?", cluster, count);
        return ids;
    }

    private void policy(RetentionSpec retention) throws Exception {
        TestEvents.publish(bootstrap, "scheduler-service", new BackupPolicySet(cluster, "p1", "@daily", "UTC", SnapshotKind.FULL, null, retention, null));
        awaitCount("select count(*) from policy where cluster_id = ? and retention is not null", cluster, 1);
    }

    private Set<String> objects() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix("lifeboat/" + cluster + "/").recursive(true).build())) {
            String name = item.get().objectName();
            names.add(name.substring(name.lastIndexOf('/') + 1).replace(".db", ""));
        }
        return names;
    }

    /** A stored object under the cluster's {@code kind} folder; returns its key. */
    private String object(String kind, String id) throws Exception {
        String key = "lifeboat/" + cluster + "/" + kind + "/" + id + (kind.equals("full") ? ".db" : ".delta");
        byte[] bytes = ("object " + id).getBytes();
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
        return key;
    }

    private void full(String id, long revision, Instant at, String chain) throws Exception {
        TestEvents.publish(bootstrap, "snapshot-service", new SnapshotCompleted(id, "req-" + id, cluster, SnapshotKind.FULL, revision, null,
                bucket, object("full", id), 1000, ("object " + id).length(), "a".repeat(64), "b".repeat(64), "none", null, "3.4.30", at.minusSeconds(10), at, chain, null));
    }

    private void delta(String id, String chain, String base, long first, long last, Instant at) throws Exception {
        TestEvents.publish(bootstrap, "snapshot-service", new SnapshotCompleted(id, "delta-" + id, cluster, SnapshotKind.DELTA, last, first,
                bucket, object("delta", id), 1000, ("object " + id).length(), "a".repeat(64), "b".repeat(64), "none", null, null, at.minusSeconds(60), at, chain,
                new SnapshotCompleted.DeltaFacts(base, last - first + 1, at.minusSeconds(60), at.minusSeconds(1))));
    }

    @Test
    void aDeltaGoesOnlyWithTheFullSnapshotsItExtends() throws Exception {
        Instant now = Instant.now();
        // chain c1 from f1 (100): d1 101-150, d2 151-200, d3 201-300; f2 (170) and f3 (260) completed while c1 captured
        full("f1", 100, now.minus(Duration.ofHours(5)), null);
        delta("d1", "c1-" + cluster, "f1", 101, 150, now.minus(Duration.ofHours(4)));
        full("f2", 170, now.minus(Duration.ofHours(3)).minusSeconds(1800), "c1-" + cluster);
        delta("d2", "c1-" + cluster, "f1", 151, 200, now.minus(Duration.ofHours(3)));
        full("f3", 260, now.minus(Duration.ofHours(2)), "c1-" + cluster);
        delta("d3", "c1-" + cluster, "f1", 201, 300, now.minus(Duration.ofHours(1)));
        awaitCount("select count(*) from snapshot where cluster_id = ?", cluster, 6);

        JsonPath before = given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath();
        assertEquals(6, before.getList("snapshots").size(), "deltas are decided too");

        policy(new RetentionSpec(1, null, null, null));
        awaitCount("select count(*) from snapshot where cluster_id = ? and state = 'DELETED'", cluster, 4);
        assertEquals(new TreeSet<>(List.of("f3", "d3.delta")), objects(), "the newest full snapshot and the delta that extends it");
        JsonPath after = given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath();
        assertEquals("delta of chain c1-" + cluster + ": a kept full snapshot needs it",
                after.getString("snapshots.find { it.id == 'd3' }.rule"));
        List<SnapshotDeleted> deleted = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_DELETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 4, WAIT).stream()
                .map(r -> (SnapshotDeleted) EventCodec.decode(r).payload()).toList();
        SnapshotDeleted d1 = deleted.stream().filter(d -> d.snapshotId().equals("d1")).findFirst().orElseThrow();
        assertTrue(d1.reason().contains("extends only full snapshots that are not kept"), d1.reason());
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("lifeboat_snapshot_gc_total{cluster=\"" + cluster + "\",kind=\"full\"} 2.0"), "deletions are counted by kind");
        assertTrue(metrics.contains("lifeboat_snapshot_gc_total{cluster=\"" + cluster + "\",kind=\"delta\"} 2.0"), "deletions are counted by kind");
    }

    @Test
    void afterACompletedSnapshotOnlyTheNewestKeepLastSurviveInTheBucket() throws Exception {
        policy(new RetentionSpec(2, null, null, null));
        List<String> ids = snapshots(5);
        awaitCount("select count(*) from snapshot where cluster_id = ? and state = 'DELETED'", cluster, 3);
        assertEquals(new TreeSet<>(ids.subList(3, 5)), objects(), "exactly the two newest objects remain");
        List<SnapshotDeleted> deleted = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_DELETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 3, WAIT).stream()
                .map(r -> (SnapshotDeleted) EventCodec.decode(r).payload()).toList();
        assertEquals(Set.copyOf(ids.subList(0, 3)), Set.copyOf(deleted.stream().map(SnapshotDeleted::snapshotId).toList()));
        assertTrue(deleted.get(0).reason().contains("kept by no rule"), deleted.get(0).reason());
    }

    @Test
    void thePreviewDeletesNothingAndHeldAndPinnedSnapshotsSurviveARun() throws Exception {
        List<String> ids = snapshots(4);
        given().post("/api/v1/snapshots/" + ids.get(0) + "/hold").then().statusCode(200).body("held", equalTo(true));
        TestEvents.publish(bootstrap, "restore-service", new RestorePhaseChanged("r-" + cluster, cluster, ids.get(1), RestoreMode.API,
                RestorePhase.RESTORING, RestorePhase.FETCHING, null, Instant.now()));
        awaitCount("select count(*) from pin where snapshot_id = ?", ids.get(1), 1);
        // the runs the completions asked for (settle 500 ms) are over before the policy arrives
        Thread.sleep(1500);
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("deleted", equalTo(List.of()));
        policy(new RetentionSpec(1, null, null, null));

        JsonPath preview = given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(ids.get(3), ids.get(2), ids.get(1), ids.get(0)), preview.getList("snapshots.id"));
        assertEquals(List.of(true, false, true, true), preview.getList("snapshots.keep"));
        assertEquals(List.of("the newest snapshot is never deleted", "kept by no rule (keepLast 1)", "pinned by restore r-" + cluster, "on hold"),
                preview.getList("snapshots.rule"));
        assertEquals(4, objects().size(), "the preview deleted nothing");

        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("deleted", equalTo(List.of(ids.get(2))));
        assertEquals(new TreeSet<>(List.of(ids.get(0), ids.get(1), ids.get(3))), objects());

        given().delete("/api/v1/snapshots/" + ids.get(0) + "/hold").then().statusCode(200).body("held", equalTo(false));
        TestEvents.publish(bootstrap, "restore-service", new RestorePhaseChanged("r-" + cluster, cluster, ids.get(1), RestoreMode.API,
                RestorePhase.COMPLETED, RestorePhase.RESUMING, null, Instant.now()));
        awaitCount("select count(*) from pin where snapshot_id = ?", ids.get(1), 0);
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200);
        assertEquals(Set.of(ids.get(3)), objects(), "released: only the newest remains");
    }

    @Test
    void aTinyMaxAgeNeverTakesTheNewest() throws Exception {
        policy(new RetentionSpec(null, null, "1s", null));
        List<String> ids = snapshots(3);
        awaitCount("select count(*) from snapshot where cluster_id = ? and state = 'DELETED'", cluster, 2);
        assertEquals(Set.of(ids.get(2)), objects());
    }

    @Test
    void strayObjectsGoAfterTheGracePeriodAndVanishedObjectsAreReportedMissing() throws Exception {
        List<String> ids = snapshots(2);
        String stray = "lifeboat/" + cluster + "/full/stray.db";
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(stray).stream(new ByteArrayInputStream(new byte[10]), 10, -1).build());
        s3.removeObject(RemoveObjectArgs.builder().bucket(bucket).object("lifeboat/" + cluster + "/full/" + ids.get(0) + ".db").build());

        JsonPath run = given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(ids.get(0)), run.getList("missing"));
        assertEquals(List.of(), run.getList("orphansDeleted"), "not before the grace period");
        SnapshotMissing missing = (SnapshotMissing) EventCodec.decode(TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_MISSING.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
        assertEquals(ids.get(0), missing.snapshotId());
        JsonPath preview = given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(stray), preview.getList("orphans.objectKey"));
        assertEquals(List.of(ids.get(1)), preview.getList("snapshots.id"), "a missing snapshot is no backup");
        assertTrue(objects().contains("stray"));

        Thread.sleep(3500);
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("orphansDeleted", equalTo(List.of(stray)));
        assertEquals(Set.of(ids.get(1)), objects());
    }

    @Test
    void anObjectOfTheWrongSizeIsReportedMissingNeverDeletedAndFoundAgainOnceWhole() throws Exception {
        List<String> ids = snapshots(2);
        String key = "lifeboat/" + cluster + "/full/" + ids.get(0) + ".db";
        byte[] whole = ("snapshot " + ids.get(0)).getBytes();
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(whole, 0, 3), 3, -1).build());

        JsonPath run = given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(ids.get(0)), run.getList("missing"), "a truncated object is no backup");
        SnapshotMissing missing = (SnapshotMissing) EventCodec.decode(TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_MISSING.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
        assertEquals(ids.get(0), missing.snapshotId());
        assertEquals("its object has 3 bytes, not the " + whole.length + " recorded when it was stored (truncated or replaced)", missing.reason());
        JsonPath preview = given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(ids.get(1)), preview.getList("snapshots.id"));
        assertEquals(List.of(), preview.getList("orphans.objectKey"), "the object is a damaged snapshot, not an orphan to delete");

        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(whole), whole.length, -1).build());
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("missing", equalTo(List.of()));
        SnapshotFound found = (SnapshotFound) EventCodec.decode(TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_FOUND.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
        assertEquals(ids.get(0), found.snapshotId());
        assertEquals(new TreeSet<>(ids), objects(), "nothing was deleted");
    }

    /**
     * Objects named by the current layout have a manifest beside them: without it a snapshot is MISSING (and Completed
     * again once it is back); deleting a snapshot deletes both.
     */
    @Test
    void aSnapshotIsCompleteOnlyWithItsManifestAndLeavesTheBucketWithIt() throws Exception {
        List<String> keys = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = Ids.newId();
            Instant at = Instant.now().minus(Duration.ofHours(3 - i));
            String key = ObjectLayout.full("lifeboat/" + cluster, at.minusSeconds(10), id, 1, Compression.NONE, null);
            byte[] bytes = ("snapshot " + id).getBytes();
            s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
            SnapshotCompleted completed = new SnapshotCompleted(id, "req-" + id, cluster, SnapshotKind.FULL, 100 + i, null, bucket, key, 1000,
                    bytes.length, "a".repeat(64), "b".repeat(64), "none", null, "3.5.16", at.minusSeconds(10), at, null, null);
            byte[] manifest = ObjectLayout.manifest(completed, "cdf818194e3a8c32");
            s3.putObject(PutObjectArgs.builder().bucket(bucket).object(ObjectLayout.manifestOf(key))
                    .stream(new ByteArrayInputStream(manifest), manifest.length, -1).build());
            TestEvents.publish(bootstrap, "snapshot-service", completed);
            keys.add(key);
            ids.add(id);
        }
        awaitCount("select count(*) from snapshot where cluster_id = ?", cluster, 3);
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("missing", equalTo(List.of()))
                .body("orphansDeleted", equalTo(List.of()));
        assertEquals(List.of(), given().get("/api/v1/clusters/" + cluster + "/retention/preview").then().statusCode(200).extract().jsonPath()
                .getList("orphans.objectKey"), "the manifests of catalogued snapshots are no orphans");

        byte[] manifest = s3.getObject(io.minio.GetObjectArgs.builder().bucket(bucket).object(ObjectLayout.manifestOf(keys.get(0))).build())
                .readAllBytes();
        s3.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(ObjectLayout.manifestOf(keys.get(0))).build());
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("missing", equalTo(List.of(ids.get(0))));
        SnapshotMissing missing = (SnapshotMissing) EventCodec.decode(TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_MISSING.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
        assertEquals("its manifest " + ObjectLayout.manifestOf(keys.get(0)) + " is gone from the bucket: nothing marks the object a complete backup",
                missing.reason());
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(ObjectLayout.manifestOf(keys.get(0)))
                .stream(new ByteArrayInputStream(manifest), manifest.length, -1).build());
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("missing", equalTo(List.of()));

        policy(new RetentionSpec(1, null, null, null));
        given().post("/api/v1/clusters/" + cluster + "/retention/run").then().statusCode(200).body("deleted.size()", equalTo(2));
        awaitCount("select count(*) from snapshot where cluster_id = ? and state = 'DELETED'", cluster, 2);
        List<String> left = new ArrayList<>();
        for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix("lifeboat/" + cluster + "/").recursive(true).build())) {
            left.add(item.get().objectName());
        }
        assertEquals(List.of(keys.get(2), ObjectLayout.manifestOf(keys.get(2))), left, "the deleted snapshots' objects went with their manifests");
    }

    @Test
    void unknownClustersAndSnapshotsAreAnsweredWith404() {
        given().get("/api/v1/clusters/nobody/retention/preview").then().statusCode(404);
        given().post("/api/v1/clusters/nobody/retention/run").then().statusCode(404);
        given().post("/api/v1/snapshots/nothing/hold").then().statusCode(404);
    }

    private void awaitCount(String sql, String parameter, int wanted) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            int count;
            try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
                query.setString(1, parameter);
                try (ResultSet row = query.executeQuery()) {
                    row.next();
                    count = row.getInt(1);
                }
            }
            if (count == wanted) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(sql + " / " + parameter + ": " + count + ", not " + wanted);
            }
            Thread.sleep(100);
        }
    }
}
