package dev.lifeboat.restore;

import static dev.lifeboat.restore.RestoreTestSupport.awaitEnd;
import static dev.lifeboat.restore.RestoreTestSupport.bytes;
import static dev.lifeboat.restore.RestoreTestSupport.delete;
import static dev.lifeboat.restore.RestoreTestSupport.put;
import static dev.lifeboat.restore.RestoreTestSupport.range;
import static dev.lifeboat.restore.RestoreTestSupport.start;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotFound;
import dev.lifeboat.events.SnapshotMissing;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.StackOptions;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.PutOption;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.GetObjectArgs;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * Restores in mode API on real servers and real services: the scheduler registers clusters and pauses
 * them, snapshot-service takes the backups (zstd, encrypted), restore-service restores them into etcd —
 * etcd 3.5 accepting only clients with a certificate, as kubeadm runs it. The stack is the REPLACE tests'
 * (one stack for the three classes on 3.5).
 */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-tls", value = "true"))
class RestoreIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "local-stack.etcd-endpoints")
    String endpoints;
    @ConfigProperty(name = "test.scheduler.url")
    String schedulerUrl;
    @ConfigProperty(name = "lifeboat.s3.endpoint")
    String s3Endpoint;
    @ConfigProperty(name = "lifeboat.s3.access-key")
    String s3AccessKey;
    @ConfigProperty(name = "lifeboat.s3.secret-key")
    String s3SecretKey;
    @ConfigProperty(name = "lifeboat.encryption.keys.k2.file")
    String wrongKeyFile;
    @Inject
    AgroalDataSource db;

    private RestoreTestSupport support;
    private String cluster;
    private String root;

    @BeforeEach
    void cluster() throws Exception {
        support = new RestoreTestSupport(bootstrap, schedulerUrl, db);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        cluster = "rs-" + suffix;
        root = "/t-" + suffix + "/";
        support.register(cluster, endpoints);
        RestoreHooks.reset();
    }

    private static Map<String, String> numbered(String prefix, int count, String value) {
        Map<String, String> entries = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(prefix + String.format("%04d", i), value + i);
        }
        return entries;
    }

    @Test
    void aFullRestoreBringsBackEveryKeyWithFreshLeasesThroughEveryPhase() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            Map<String, String> original = numbered(root + "k", 300, "v");
            put(etcd, original);
            long lease = etcd.getLeaseClient().grant(600).get(10, TimeUnit.SECONDS).getID();
            etcd.getKVClient().put(bytes(root + "leased"), bytes("with lease"), PutOption.builder().withLeaseId(lease).build())
                    .get(10, TimeUnit.SECONDS);
            SnapshotCompleted snapshot = support.backUp(cluster);

            put(etcd, numbered(root + "k", 100, "changed"));
            for (int i = 100; i < 150; i++) {
                delete(etcd, root + String.format("k%04d", i));
            }
            put(etcd, numbered(root + "new", 20, "new"));
            etcd.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);

            String id = start("{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\"}");
            JsonPath view = awaitEnd(id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            RestoreTestSupport.assertPhases(view, "VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING");

            TreeMap<String, String> after = range(etcd, root);
            original.forEach((key, value) -> assertEquals(value, after.get(key), key));
            assertEquals("with lease", after.get(root + "leased"));
            assertEquals(20, after.keySet().stream().filter(key -> key.startsWith(root + "new")).count(), "without prune, new keys stay");
            KeyValue leased = RestoreTestSupport.kvs(etcd, root + "leased").get(0);
            assertTrue(leased.getLease() != 0 && leased.getLease() != lease, "a fresh lease");
            long ttl = etcd.getLeaseClient().timeToLive(leased.getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS).getTTL();
            assertTrue(ttl > 0 && ttl <= 600, "TTL " + ttl);
            assertTrue(leased.getModRevision() > snapshot.revision(), "revisions only grow");

            assertEquals(151, view.getLong("progress.keysPut"), "100 changed + 50 deleted + the leased key: " + view.prettify());
            assertTrue(view.getLong("progress.keysUnchanged") >= 150, view.prettify());
            assertEquals(List.of("VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING", "COMPLETED"),
                    support.phaseEvents(cluster, id, 7));
            assertEquals(1, TopicProbe.await(bootstrap, Topics.BACKUP_REQUESTS, r -> cluster.equals(r.key())
                    && EventType.BACKUP_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                    && ("restore-" + id).equals(((BackupRequested) EventCodec.decode(r).payload()).requestId()), 1, RestoreTestSupport.WAIT).size(),
                    "a fresh backup is asked for");
            assertFalse(support.paused(cluster), "resumed");
            assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls(), "both hooks ran once");
        }
    }

    @Test
    void aPrefixRestoreWithPruneMakesOnlyThatRangeEqualToTheSnapshot() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            Map<String, String> a = numbered(root + "a/", 50, "a");
            put(etcd, a);
            put(etcd, numbered(root + "b/", 50, "b"));
            support.backUp(cluster);

            put(etcd, numbered(root + "a/", 10, "changed"));
            for (int i = 10; i < 20; i++) {
                delete(etcd, root + String.format("a/%04d", i));
            }
            put(etcd, numbered(root + "a/new", 5, "new"));
            put(etcd, numbered(root + "b/", 10, "changed"));

            String id = start("{\"cluster\": \"" + cluster + "\", \"keyPrefix\": \"" + root + "a/\", \"prune\": true}");
            JsonPath view = awaitEnd(id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertEquals(a, range(etcd, root + "a/"), "the range equals the snapshot's, key by key");
            assertEquals("changed0", range(etcd, root + "b/").get(root + "b/0000"), "outside the prefix nothing changed");
            assertEquals(5, view.getLong("progress.keysDeleted"));
            assertEquals(20, view.getLong("progress.keysPut"));
            assertEquals(50, view.getLong("progress.keysTotal"));
        }
    }

    /**
     * Kubernetes' API servers compact etcd every few minutes. Here the newest change is a deletion whose
     * tombstone the compaction removed, so the snapshot's store revision is the compaction's, above every
     * key left in it — the fetched file must read the same revision as the stream did.
     */
    @Test
    void aSnapshotOfACompactedEtcdWhoseNewestChangeWasCompactedAwayRestores() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            Map<String, String> original = numbered(root + "c/", 40, "v");
            put(etcd, original);
            put(etcd, Map.of(root + "gone", "soon deleted"));
            long deleted = etcd.getKVClient().delete(bytes(root + "gone")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
            etcd.getKVClient().compact(deleted, io.etcd.jetcd.options.CompactOption.builder().withCompactPhysical(true).build())
                    .get(30, TimeUnit.SECONDS);
            SnapshotCompleted snapshot = support.backUp(cluster);
            assertEquals(deleted, snapshot.revision(), "the store revision is the compaction's");

            put(etcd, numbered(root + "c/", 10, "changed"));
            String id = start("{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\"}");
            JsonPath view = awaitEnd(id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertEquals(new TreeMap<>(original), range(etcd, root + "c/"));
            // the ten changed keys, and any leased key of an earlier test here (a restore gives it a fresh lease)
            assertTrue(view.getLong("progress.keysPut") >= 10, view.prettify());
        }
    }

    @Test
    void aCrossClusterRestoreNeedsPermissionAndFillsTheOtherCluster() throws Exception {
        Path dir = Path.of("target", "second-etcd-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        try (Client etcd = RestoreTestSupport.etcd(endpoints);
                EtcdCluster second = EtcdCluster.start(StackOptions.forTests(dir, Map.of()));
                Client other = RestoreTestSupport.etcd(second.endpoints())) {
            Map<String, String> data = numbered(root + "x/", 40, "x");
            put(etcd, data);
            SnapshotCompleted snapshot = support.backUp(cluster);
            String target = cluster + "-copy";
            support.register(target, second.endpoints());

            given().contentType(ContentType.JSON).body("{\"cluster\": \"" + cluster + "\", \"targetCluster\": \"" + target + "\"}")
                    .post("/api/v1/restores").then().statusCode(400).body("field", equalTo("targetCluster"));
            given().contentType(ContentType.JSON).body("{\"cluster\": \"" + target + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\"}")
                    .post("/api/v1/restores").then().statusCode(400).body("field", equalTo("snapshot"))
                    .body("error", containsString("belongs to cluster '" + cluster + "'"));

            String id = start("{\"cluster\": \"" + cluster + "\", \"targetCluster\": \"" + target + "\", \"allowCrossCluster\": true, "
                    + "\"keyPrefix\": \"" + root + "x/\"}");
            JsonPath view = awaitEnd(id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertEquals(data, range(other, root + "x/"));
            assertEquals(target, view.getString("targetCluster"));
        }
    }

    @Test
    void aDryRunFromKafkaReportsWhatItWouldDoAndChangesNothing() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 30, "v"));
            SnapshotCompleted snapshot = support.backUp(cluster);
            put(etcd, numbered(root, 5, "changed"));
            put(etcd, numbered(root + "extra", 3, "extra"));
            TreeMap<String, String> before = range(etcd, root);
            long revision = RestoreTestSupport.revision(etcd);

            String id = "dry-" + UUID.randomUUID().toString().substring(0, 8);
            TestEvents.publish(bootstrap, "runbook", new RestoreRequested(id, cluster, snapshot.snapshotId(), RestoreMode.API, root, true, null,
                    false, true, null, null, "runbook"));
            support.awaitRow("select count(*) from restore where id = ?", id);
            JsonPath view = awaitEnd(id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertEquals(5, view.getLong("progress.keysPut"));
            assertEquals(3, view.getLong("progress.keysDeleted"));
            assertEquals(25, view.getLong("progress.keysUnchanged"));
            RestoreTestSupport.assertNoPhase(view, "PAUSING");
            assertEquals(before, range(etcd, root));
            assertEquals(revision, RestoreTestSupport.revision(etcd), "not one write");
        }
    }

    @Test
    void badRequestsAreRefusedNamingTheProblemAndNothingIsStored() {
        refused("{\"snapshot\": \"latest\"}", 400, "cluster");
        refused("{\"cluster\": \"nobody\"}", 404, "cluster");
        refused("{\"cluster\": \"" + cluster + "\", \"snapshot\": \"0123456789abcdef\"}", 404, "snapshot");
        refused("{\"cluster\": \"" + cluster + "\"}", 404, "snapshot");
        refused("{\"cluster\": \"" + cluster + "\", \"mode\": \"REPLACE\"}", 400, "mode");
        refused("{\"cluster\": \"" + cluster + "\", \"mode\": \"SIDEWAYS\"}", 400, "mode");
        refused("{\"cluster\": \"" + cluster + "\", \"toRevision\": 42}", 400, "toRevision");
        given().get("/api/v1/restores?cluster=" + cluster).then().statusCode(200).body("size()", equalTo(0));
        given().get("/api/v1/restores/0000000000000000").then().statusCode(404);
    }

    private static void refused(String json, int status, String field) {
        given().contentType(ContentType.JSON).body(json).post("/api/v1/restores").then().statusCode(status).body("field", equalTo(field));
    }

    @Test
    void aCorruptedObjectFailsBeforeAnythingIsTouched() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 20, "v"));
            SnapshotCompleted snapshot = support.backUp(cluster);
            MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint).region("us-east-1").credentials(s3AccessKey, s3SecretKey).build();
            byte[] stored;
            try (var in = s3.getObject(GetObjectArgs.builder().bucket(snapshot.bucket()).object(snapshot.objectKey()).build())) {
                stored = in.readAllBytes();
            }
            stored[stored.length / 2] ^= 0x40;
            s3.putObject(PutObjectArgs.builder().bucket(snapshot.bucket()).object(snapshot.objectKey())
                    .stream(new java.io.ByteArrayInputStream(stored), stored.length, -1).build());
            put(etcd, Map.of(root + "0000", "changed"));

            JsonPath view = awaitEnd(start("{\"cluster\": \"" + cluster + "\"}"));
            assertEquals("FAILED", view.getString("phase"));
            assertTrue(view.getString("error").contains("corrupted"), view.getString("error"));
            RestoreTestSupport.assertPhases(view, "VALIDATING");
            assertEquals("changed", range(etcd, root).get(root + "0000"), "nothing written");
            assertTrue(RestoreHooks.calls().isEmpty(), "no hook ran");
        }
    }

    @Test
    void aSnapshotTheKeyCannotDecryptFailsAtFetchingAndTheClusterIsResumed() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 20, "v"));
            SnapshotCompleted real = support.backUp(cluster);
            // The same object, announced as encrypted with k2: a key that cannot decrypt it.
            String wrong = announceCopyOf(real, "badkey", "k2", real.completedAt());
            put(etcd, Map.of(root + "0000", "changed"));

            String id = start("{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + wrong + "\"}");
            JsonPath view = awaitEnd(id);
            assertEquals("FAILED", view.getString("phase"));
            String error = view.getString("error");
            assertTrue(error.contains("decrypt") && error.contains("'k2'") && error.contains("resumed"), error);
            assertFalse(error.contains(Files.readString(Path.of(wrongKeyFile)).trim()), "no key material in the error");
            RestoreTestSupport.assertPhases(view, "VALIDATING", "PAUSING", "FETCHING");
            assertEquals("changed", range(etcd, root).get(root + "0000"), "nothing written");
            assertFalse(support.paused(cluster), "resumed");
            assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls());
        }
    }

    /** Retention found the newest snapshot's object gone: {@code latest} restores the newest intact one and says so; found again, it is used. */
    @Test
    void latestPassesOverASnapshotWhoseObjectIsMissingUntilItIsFoundAgain() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 10, "v"));
            SnapshotCompleted intact = support.backUp(cluster);
            String newer = announceCopyOf(intact, "newer", intact.encryptionKeyId(), intact.completedAt().plusSeconds(60));
            TestEvents.publish(bootstrap, "retention-service", new SnapshotMissing(newer, cluster, intact.bucket(), "lifeboat/" + cluster
                    + "/full/gone.db", java.time.Instant.now(), "its object is gone from the bucket"));
            support.awaitRow("select count(*) from snapshot where id = ? and missing", newer);

            String id = start("{\"cluster\": \"" + cluster + "\", \"dryRun\": true}");
            JsonPath view = awaitEnd(id);
            assertEquals(intact.snapshotId(), view.getString("snapshot"), view.prettify());
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertTrue(view.getString("note").startsWith("latest: restoring snapshot " + intact.snapshotId() + ", the newest intact one; "
                    + "passed over snapshot " + newer + " (its object is gone from the bucket)"), view.getString("note"));
            given().contentType(ContentType.JSON).body("{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + newer + "\"}")
                    .post("/api/v1/restores").then().statusCode(409).body("field", equalTo("snapshot"))
                    .body("error", containsString("its object is gone from the bucket"));

            TestEvents.publish(bootstrap, "retention-service", new SnapshotFound(newer, cluster, intact.bucket(), intact.objectKey(),
                    java.time.Instant.now()));
            support.awaitRow("select count(*) from snapshot where id = ? and not missing", newer);
            String again = start("{\"cluster\": \"" + cluster + "\", \"dryRun\": true}");
            assertEquals(newer, awaitEnd(again).getString("snapshot"), "found again, the newest is latest again");
        }
    }

    /**
     * Announces another snapshot of the cluster on the same object as {@code real}, as encrypted with {@code keyId} and
     * completed at {@code completedAt}; returns its id once restore-service knows it.
     */
    private String announceCopyOf(SnapshotCompleted real, String prefix, String keyId, java.time.Instant completedAt) throws Exception {
        String id = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        TestEvents.publish(bootstrap, "snapshot-service", new SnapshotCompleted(id, "req-" + id, cluster, real.kind(), real.revision(), null,
                real.bucket(), real.objectKey(), real.rawSize(), real.storedSize(), real.rawSha256(), real.storedSha256(), real.compression(), keyId,
                real.etcdVersion(), real.startedAt(), completedAt, null, null));
        support.awaitRow("select count(*) from snapshot where id = ?", id);
        return id;
    }

    /** Six requests for one cluster at the same moment: one accepted, five 409 naming the rule, never a 500. */
    @Test
    void requestsForOneClusterAtTheSameMomentAreOneAcceptedAndTheOthersRefused() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 10, "v"));
            support.backUp(cluster);
            int requests = 6;
            java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(requests);
            try {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<io.restassured.response.Response>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    answers.add(callers.submit(() -> {
                        go.await();
                        return given().contentType(ContentType.JSON).body("{\"cluster\": \"" + cluster + "\"}").post("/api/v1/restores")
                                .andReturn();
                    }));
                }
                go.countDown();
                List<String> accepted = new java.util.ArrayList<>();
                for (var answer : answers) {
                    io.restassured.response.Response response = answer.get(60, TimeUnit.SECONDS);
                    if (response.statusCode() == 202) {
                        accepted.add(response.jsonPath().getString("id"));
                    } else {
                        assertEquals(409, response.statusCode(), response.asString());
                        assertEquals("cluster", response.jsonPath().getString("field"), response.asString());
                        assertTrue(response.jsonPath().getString("error").contains("one restore per cluster"), response.asString());
                    }
                }
                assertEquals(1, accepted.size(), "exactly one request is accepted: " + accepted);
                assertEquals("COMPLETED", awaitEnd(accepted.get(0)).getString("phase"));
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void aPauseHookThatOverrunsFailsTheRestoreAndAnotherRestoreMeanwhileIsRefused() throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, numbered(root, 10, "v"));
            support.backUp(cluster);
            RestoreHooks.pauseSleeps(30);
            String id = start("{\"cluster\": \"" + cluster + "\"}");
            support.awaitRow("select count(*) from restore where id = ? and paused", id);
            given().contentType(ContentType.JSON).body("{\"cluster\": \"" + cluster + "\"}").post("/api/v1/restores").then().statusCode(409)
                    .body("error", containsString(id));

            JsonPath view = awaitEnd(id);
            assertEquals("FAILED", view.getString("phase"));
            assertTrue(view.getString("error").contains("did not finish within 3 s") && view.getString("error").contains("resumed"),
                    view.getString("error"));
            assertFalse(support.paused(cluster), "resumed");
            assertTrue(RestoreHooks.calls().contains("resume " + id), "the resume hook ran: " + RestoreHooks.calls());
        }
    }

    @Test
    void aMalformedRestoreRequestGoesToTheDeadLetterTopic() throws Exception {
        String key = cluster;
        ProducerRecord<String, byte[]> bad = new ProducerRecord<>(Topics.RESTORE_REQUESTS, key, "{\"clusterId\": ".getBytes(StandardCharsets.UTF_8));
        EventCodec.writeHeaders(bad.headers(), UUID.randomUUID(), EventType.RESTORE_REQUESTED, "test", key, java.time.Instant.now());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(bad).get(30, TimeUnit.SECONDS);
        }
        assertEquals(1, TopicProbe.await(bootstrap, Topics.deadLetter("restore"), r -> key.equals(r.key()), 1, Duration.ofSeconds(60)).size());
    }
}
