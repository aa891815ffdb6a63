package dev.lifeboat.snapshot;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.events.BackupPolicyDeleted;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.DeltaGapDetected;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.LocalStack;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * Delta capture against real etcd, Kafka, S3 and PostgreSQL. The test plays the scheduler: it
 * announces the DELTA policy, pauses and resumes, and turns the capture's requests for a base full
 * snapshot into SnapshotRequested. What the deltas hold is checked against etcd's own history: the base
 * snapshot plus the deltas up to revision r must equal etcd's keyspace read at revision r.
 */
abstract class DeltaCaptureCases {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "local-stack.etcd-endpoints")
    String etcdEndpoints;
    @Inject
    S3Config s3;
    @Inject
    AgroalDataSource db;
    SnapshotTestSupport support;

    @BeforeEach
    void connect() {
        support = new SnapshotTestSupport(bootstrap, s3, db);
    }

    @Test
    void everyChangeLandsInAGapFreeChainThatReplaysToEtcdsOwnHistory() throws Exception {
        String cluster = SnapshotTestSupport.cluster("delta");
        String prefix = "/delta-it/" + cluster + "/";
        try (Client etcd = Client.builder().endpoints(etcdEndpoints.split(",")).build()) {
            SnapshotCompleted base = startCapture(cluster, 2, 64 * 1024);
            List<Long> checkpoints = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                put(etcd, prefix + "k" + (i % 50), "v" + i);
                if (i % 20 == 0) {
                    delete(etcd, prefix + "k" + ((i + 7) % 50));
                }
                if (i % 40 == 39) {
                    checkpoints.add(revision(etcd));
                }
            }
            // Granted for 60 s, revoked before the test ends: the etcd is shared by the test JVM, and keys expiring
            // later would move the revision under another test that reads it exactly.
            long lease = etcd.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
            try {
                for (int i = 0; i < 5; i++) {
                    etcd.getKVClient().put(bytes(prefix + "leased" + i), bytes("l" + i), PutOption.builder().withLeaseId(lease).build())
                            .get(10, TimeUnit.SECONDS);
                }
                etcd.getKVClient().txn().Then(Op.put(bytes(prefix + "t1"), bytes("a"), PutOption.DEFAULT),
                        Op.put(bytes(prefix + "t2"), bytes("b"), PutOption.DEFAULT),
                        Op.delete(bytes(prefix + "k1"), DeleteOption.DEFAULT)).commit().get(10, TimeUnit.SECONDS);
                checkpoints.add(revision(etcd));
                for (int i = 0; i < 8; i++) {
                    put(etcd, prefix + "big" + i, "x".repeat(20_000) + i);
                }
                etcd.getKVClient().delete(bytes(prefix + "k"), DeleteOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
                long last = revision(etcd);
                checkpoints.add(last);

                List<JsonPath> deltas = awaitDeltasUpTo(cluster, last);
                assertTrue(deltas.size() >= 2, "the size threshold and the period cut several deltas: " + deltas.size());
                String chain = deltas.get(0).getString("chainId");
                long expectedFirst = base.revision() + 1;
                List<DeltaEvent> events = new ArrayList<>();
                for (JsonPath delta : deltas) {
                    assertEquals(chain, delta.getString("chainId"), "one chain");
                    assertEquals(base.snapshotId(), delta.getString("baseSnapshotId"));
                    assertEquals(expectedFirst, delta.getLong("firstRevision"), "no hole, no overlap");
                    assertTrue(delta.getString("objectKey").matches("lifeboat/" + cluster + "/delta/\\d{8}T\\d{6}Z-" + delta.getString("id")
                            + "\\.delta\\.zst"), delta.getString("objectKey"));
                    com.fasterxml.jackson.databind.JsonNode manifest = EventCodec.json().readTree(support.minio().getObject(io.minio.GetObjectArgs
                            .builder().bucket(s3.bucket()).object(ObjectLayout.manifestOf(delta.getString("objectKey"))).build()).readAllBytes());
                    assertEquals(delta.getLong("firstRevision"), manifest.path("firstRevision").asLong(), "the manifest holds the revisions");
                    assertEquals(delta.getLong("revision"), manifest.path("revision").asLong());
                    assertEquals(chain, manifest.path("chainId").asText());
                    assertEquals(base.snapshotId(), manifest.path("delta").path("baseSnapshotId").asText());
                    byte[] content = content(delta.getString("id"));
                    assertEquals(delta.getLong("rawSize"), content.length);
                    assertEquals(delta.getString("rawSha256"), sha256(content));
                    try (DeltaFile.Reader reader = new DeltaFile.Reader(new ByteArrayInputStream(content))) {
                        assertEquals(new DeltaFile.Header(cluster, chain, expectedFirst - 1), reader.header());
                        DeltaFile.Summary summary = reader.readAll(events::add);
                        assertEquals(delta.getLong("revision"), summary.lastRevision());
                        assertEquals(delta.getLong("events"), summary.events());
                    }
                    expectedFirst = delta.getLong("revision") + 1;
                }
                assertTrue(deltas.stream().anyMatch(d -> d.getLong("rawSize") >= 64 * 1024), "a delta closed by its size threshold");

                List<DeltaEvent> leased = events.stream().filter(e -> e.keyUtf8().startsWith(prefix + "leased")).toList();
                assertEquals(5, leased.size());
                leased.forEach(e -> {
                    assertEquals(lease, e.lease());
                    assertEquals(60, e.leaseTtl());
                });
                DeltaEvent txnDelete = events.stream().filter(e -> e.keyUtf8().equals(prefix + "k1") && e.op() == DeltaEvent.Op.DELETE)
                        .reduce((a, b) -> b).orElseThrow();
                assertEquals(3, events.stream().filter(e -> e.revision() == txnDelete.revision()).count(), "one transaction, one revision");

                TreeMap<String, String> start = keyspace(base.snapshotId());
                for (long checkpoint : checkpoints) {
                    assertEquals(history(etcd, checkpoint), replay(start, events, checkpoint), "the keyspace at revision " + checkpoint);
                }
                assertNull(base.chainId(), "the base completed before its chain started");
                String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
                assertTrue(metrics.contains("lifeboat_delta_lag_revisions{cluster=\"" + cluster + "\"}"), "the capture's lag is a metric");
                assertTrue(metrics.contains("lifeboat_snapshot_latest_timestamp{cluster=\"" + cluster + "\",kind=\"full\"}"),
                        "the newest full snapshot's time, which LifeboatNoRecentBackup asks for, is a metric");
                assertBackupAlertsAskForExportedMetrics(metrics);
                java.util.regex.Matcher counted = java.util.regex.Pattern.compile("lifeboat_snapshot_duration_seconds_count\\{cluster=\"" + cluster
                        + "\",kind=\"delta\",succeeded=\"true\"} ([0-9.]+)").matcher(metrics);
                assertTrue(counted.find() && Double.parseDouble(counted.group(1)) >= deltas.size(), "every stored delta is counted");
                SnapshotCompleted during = support.awaitCompleted(support.request(cluster));
                assertEquals(chain, during.chainId(), "a full snapshot taken while the chain captures names it: its deltas extend it");
            } finally {
                revokeUnlessExpired(etcd, lease);
            }
            stopCapture(cluster);
        }
    }

    private static void revokeUnlessExpired(Client etcd, long lease) throws Exception {
        try {
            etcd.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (!String.valueOf(e.getCause().getMessage()).contains("lease not found")) {
                throw e;
            }
        }
    }

    /**
     * The shipped backup alerts ({@code lifeboat-backups} in the chart's {@code files/lifeboat-alerts.yml}) name only
     * metrics this service exports: a renamed metric would leave an alert that never fires.
     */
    private static void assertBackupAlertsAskForExportedMetrics(String metrics) throws Exception {
        String rules = java.nio.file.Files.readString(java.nio.file.Path.of("..", "deploy", "helm", "lifeboat", "files", "lifeboat-alerts.yml"));
        int start = rules.indexOf("- name: lifeboat-backups");
        int end = rules.indexOf("- name:", start + 1);
        assertTrue(start >= 0, "the alerts file has the group lifeboat-backups");
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("expr: .*?(lifeboat_[a-z_]+)").matcher(rules.substring(start, end < 0 ? rules.length() : end));
        java.util.List<String> asked = new java.util.ArrayList<>();
        while (names.find()) {
            asked.add(names.group(1));
            assertTrue(metrics.contains(names.group(1) + "{"), names.group(1) + ", which a backup alert asks for, is exported");
        }
        assertEquals(java.util.List.of("lifeboat_snapshot_latest_timestamp", "lifeboat_delta_lag_seconds"), asked);
    }

    @Test
    void aPauseEndsTheChainAndAfterTheResumeANewOneStartsFromAFullTakenSince() throws Exception {
        String cluster = SnapshotTestSupport.cluster("pause");
        String prefix = "/delta-it/" + cluster + "/";
        try (Client etcd = Client.builder().endpoints(etcdEndpoints.split(",")).build()) {
            SnapshotCompleted base = startCapture(cluster, 1, 1 << 20);
            put(etcd, prefix + "before", "1");
            long before = revision(etcd);
            awaitDeltasUpTo(cluster, before);

            TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new ClusterPaused(cluster, "restore-1"));
            JsonPath ended = awaitCapture(cluster, view -> "ENDED".equals(view.getString("chains[0].state")));
            assertEquals("the cluster was paused for a restore", ended.getString("chains[0].endReason"));
            assertEquals(base.snapshotId(), ended.getString("chains[0].baseSnapshotId"));
            assertNull(ended.get("live"), "no watcher while paused");
            put(etcd, prefix + "during", "2");
            long during = revision(etcd);
            Thread.sleep(1500);

            Instant resumed = Instant.now();
            TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new ClusterResumed(cluster, "restore-1", null, null));
            SnapshotCompleted second = serveBaseRequest(cluster, 2);
            assertTrue(second.startedAt().isAfter(resumed.minusSeconds(1)), "the new chain's base was taken after the resume");
            JsonPath active = awaitCapture(cluster, view -> "ACTIVE".equals(view.getString("chains[0].state"))
                    && second.snapshotId().equals(view.getString("chains[0].baseSnapshotId")));
            String newChain = active.getString("chains[0].id");
            assertNotEquals(ended.getString("chains[0].id"), newChain);
            put(etcd, prefix + "after", "3");
            long after = revision(etcd);
            List<JsonPath> deltas = awaitDeltasUpTo(cluster, after);
            for (JsonPath delta : deltas) {
                assertTrue(delta.getLong("revision") < during || delta.getLong("firstRevision") > during,
                        "nothing captured while paused: " + delta.prettify());
            }
            assertEquals(second.revision() + 1, deltas.stream().filter(d -> newChain.equals(d.getString("chainId")))
                    .mapToLong(d -> d.getLong("firstRevision")).min().orElseThrow());
            stopCapture(cluster);
        }
    }

    @Test
    void anS3OutageLosesNothingButACompactionMeanwhileIsARecordedGapAndANewFull() throws Exception {
        String cluster = SnapshotTestSupport.cluster("outage");
        String prefix = "/delta-it/" + cluster + "/";
        LocalStack stack = LocalStack.shared(Topics.all());
        try (Client etcd = Client.builder().endpoints(etcdEndpoints.split(",")).build()) {
            SnapshotCompleted base = startCapture(cluster, 1, 1 << 20);
            put(etcd, prefix + "a", "1");
            awaitDeltasUpTo(cluster, revision(etcd));

            stack.s3().stop();
            long outageRevision;
            try {
                for (int i = 0; i < 20; i++) {
                    put(etcd, prefix + "during-outage-" + i, "v" + i);
                }
                outageRevision = revision(etcd);
                JsonPath failing = awaitCapture(cluster, view -> view.getString("live.lastError") != null);
                assertTrue(failing.getString("live.lastError").startsWith("cannot store a delta: S3: "), failing.getString("live.lastError"));
                assertTrue(!failing.getString("live.lastError").contains(s3.secretKey()), "no secret in the error");
            } finally {
                stack.s3().start();
            }
            List<JsonPath> deltas = awaitDeltasUpTo(cluster, outageRevision);
            List<DeltaEvent> events = new ArrayList<>();
            long expectedFirst = base.revision() + 1;
            for (JsonPath delta : deltas) {
                assertEquals(expectedFirst, delta.getLong("firstRevision"), "no hole after the outage");
                expectedFirst = delta.getLong("revision") + 1;
                try (DeltaFile.Reader reader = new DeltaFile.Reader(new ByteArrayInputStream(content(delta.getString("id"))))) {
                    reader.readAll(events::add);
                }
            }
            for (int i = 0; i < 20; i++) {
                String key = prefix + "during-outage-" + i;
                assertTrue(events.stream().anyMatch(e -> e.keyUtf8().equals(key)), "captured after S3 came back: " + key);
            }
            String firstChain = deltas.get(0).getString("chainId");
            long stored = deltas.get(deltas.size() - 1).getLong("revision");

            stack.s3().stop();
            long compacted;
            try {
                for (int i = 0; i < 5; i++) {
                    put(etcd, prefix + "lost-" + i, "v" + i);
                }
                awaitCapture(cluster, view -> view.getString("live.lastError") != null);
                compacted = revision(etcd);
                etcd.getKVClient().compact(compacted).get(10, TimeUnit.SECONDS);
                DeltaGapDetected gap = (DeltaGapDetected) EventCodec.decode(TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS,
                        r -> cluster.equals(r.key()) && EventType.DELTA_GAP_DETECTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)),
                        1, WAIT).get(0)).payload();
                assertEquals(firstChain, gap.chainId());
                assertEquals(stored, gap.lastRevision());
                assertEquals(compacted, gap.compactRevision());
                assertTrue(gap.reason().contains("compacted"), gap.reason());
            } finally {
                stack.s3().start();
            }
            SnapshotCompleted fresh = serveBaseRequest(cluster, 2);
            assertTrue(fresh.revision() >= compacted, "a full snapshot after the gap");
            JsonPath view = awaitCapture(cluster, v -> "ACTIVE".equals(v.getString("chains[0].state"))
                    && fresh.snapshotId().equals(v.getString("chains[0].baseSnapshotId")));
            assertEquals("ENDED", view.getString("chains[1].state"));
            assertTrue(view.getString("chains[1].endReason").contains("compacted"), view.getString("chains[1].endReason"));
            assertTrue(given().get("/q/metrics").then().extract().asString().contains("lifeboat_delta_gaps_total{cluster=\"" + cluster + "\"} 1.0"),
                    "the gap is counted");
            stopCapture(cluster);
        }
    }

    /** Registers the cluster, announces a DELTA policy, serves the capture's request for a base; returns the base. */
    private SnapshotCompleted startCapture(String cluster, int periodSeconds, long maxBytes) throws Exception {
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new BackupPolicySet(cluster, "deltas", "@every " + periodSeconds + "s", "UTC",
                SnapshotKind.DELTA, null, null, maxBytes));
        SnapshotCompleted base = serveBaseRequest(cluster, 1);
        awaitCapture(cluster, view -> "ACTIVE".equals(view.getString("chains[0].state")) && "WATCHING".equals(view.getString("live.state")));
        return base;
    }

    private void stopCapture(String cluster) throws Exception {
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new BackupPolicyDeleted(cluster, "deltas"));
        JsonPath view = awaitCapture(cluster, v -> "ENDED".equals(v.getString("chains[0].state")));
        assertEquals("the DELTA policy was removed", view.getString("chains[0].endReason"));
    }

    /** Waits for the {@code nth} request for a base from the capture and answers it as the scheduler would. */
    private SnapshotCompleted serveBaseRequest(String cluster, int nth) {
        var requests = TopicProbe.await(bootstrap, Topics.BACKUP_REQUESTS, r -> cluster.equals(r.key())
                && EventType.BACKUP_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), nth, WAIT);
        assertEquals(nth, requests.size(), "the capture asked for a base full snapshot");
        BackupRequested request = (BackupRequested) EventCodec.decode(requests.get(nth - 1)).payload();
        assertEquals("snapshot-service", request.requester());
        assertTrue(request.requestId().startsWith("delta-base-"), request.requestId());
        String requestId = "backup-" + request.requestId();
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new SnapshotRequested(requestId, cluster, SnapshotKind.FULL, request.reason(),
                null, Instant.now()));
        return support.awaitCompleted(requestId);
    }

    private static JsonPath awaitCapture(String cluster, Predicate<JsonPath> condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            JsonPath view = given().get("/api/v1/clusters/" + cluster + "/delta-capture").then().statusCode(200).extract().jsonPath();
            if (!view.getList("chains").isEmpty() && condition.test(view)) {
                return view;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the capture of " + cluster + " did not get there: " + view.prettify());
            }
            Thread.sleep(200);
        }
    }

    /** The cluster's deltas, oldest first, once one reaches {@code revision}. */
    private static List<JsonPath> awaitDeltasUpTo(String cluster, long revision) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            List<Map<String, Object>> listed = given().queryParam("cluster", cluster).queryParam("kind", "DELTA").queryParam("limit", 1000)
                    .get("/api/v1/snapshots").then().statusCode(200).extract().jsonPath().getList("$");
            List<JsonPath> deltas = listed.stream().map(m -> new JsonPath(EventCodec.json().valueToTree(m).toString()))
                    .sorted(java.util.Comparator.comparingLong(d -> d.getLong("firstRevision"))).toList();
            if (!deltas.isEmpty() && deltas.get(deltas.size() - 1).getLong("revision") >= revision) {
                return deltas;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no delta of " + cluster + " reached revision " + revision + ": " + listed);
            }
            Thread.sleep(200);
        }
    }

    private static byte[] content(String snapshotId) {
        return given().get("/api/v1/snapshots/" + snapshotId + "/content").then().statusCode(200).extract().asByteArray();
    }

    /** Every live key of a full snapshot, from its content. */
    private static TreeMap<String, String> keyspace(String snapshotId) throws Exception {
        Path file = Files.createTempFile("base", ".db");
        try {
            Files.write(file, content(snapshotId));
            TreeMap<String, String> keys = new TreeMap<>();
            try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
                snapshot.forEachLive(new byte[0], kv -> keys.put(kv.keyUtf8(), new String(kv.value(), StandardCharsets.UTF_8)));
            }
            return keys;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static TreeMap<String, String> replay(TreeMap<String, String> start, List<DeltaEvent> events, long upTo) {
        TreeMap<String, String> state = new TreeMap<>(start);
        for (DeltaEvent event : events) {
            if (event.revision() > upTo) {
                break;
            }
            if (event.op() == DeltaEvent.Op.PUT) {
                state.put(event.keyUtf8(), new String(event.value(), StandardCharsets.UTF_8));
            } else {
                state.remove(event.keyUtf8());
            }
        }
        return state;
    }

    /** etcd's whole keyspace as it was at a revision. */
    private static TreeMap<String, String> history(Client etcd, long revision) throws Exception {
        TreeMap<String, String> keys = new TreeMap<>();
        ByteSequence all = ByteSequence.from(new byte[] {0});
        for (KeyValue kv : etcd.getKVClient().get(all, GetOption.builder().withRange(all).withRevision(revision).build())
                .get(30, TimeUnit.SECONDS).getKvs()) {
            keys.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        return keys;
    }

    private static void put(Client etcd, String key, String value) throws Exception {
        etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static void delete(Client etcd, String key) throws Exception {
        etcd.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
    }

    private static long revision(Client etcd) throws Exception {
        return etcd.getKVClient().get(bytes("/none")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
