package dev.lifeboat.restore;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * Point-in-time restores on real servers and services: cluster {@code pitr} (one member run by an
 * etcd-agent) captured by snapshot-service's delta capture (a DELTA policy set through the scheduler,
 * which also turns the capture's request for a base into the full snapshot). The test writes puts,
 * overwrites, deletes, leases and a transaction, records etcd's own keyspace at three points, then
 * restores to each — by revision and by time, in mode API and REPLACE — and compares the cluster with
 * what etcd held at that point, key by key (for REPLACE with every key's revisions and version too).
 * Run against each etcd release ({@link PointInTimeRestoreIT}: 3.5 with client-certificate TLS, where the
 * REPLACE goes through etcdutl with a revision bump; {@link PointInTimeRestore34IT}: 3.4).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class PointInTimeRestoreCases {

    private static final String CLUSTER = "pitr";

    /** What etcd held at each point, recorded while the test wrote; shared by the ordered tests. */
    private static final Map<String, Long> REVISIONS = new LinkedHashMap<>();
    private static final Map<String, Instant> TIMES = new LinkedHashMap<>();
    private static final Map<String, TreeMap<String, String>> STATES = new LinkedHashMap<>();
    private static List<KeyValue> kvsAtThird;
    /** A revision written while capture was off and overwritten before it came back: no backup holds it. */
    private static long uncaptured;

    @Inject
    AgroalDataSource db;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;
    @ConfigProperty(name = "test.scheduler.url")
    String schedulerUrl;
    private String snapshotUrl;
    private String endpoints;
    private String members;
    private RestoreTestSupport support;

    @BeforeEach
    void setUp() {
        support = new RestoreTestSupport(kafka, schedulerUrl, db);
        RestoreHooks.reset();
        Config config = ConfigProvider.getConfig();
        snapshotUrl = config.getValue("test.snapshot.url", String.class);
        endpoints = config.getValue("test.etcd." + CLUSTER, String.class);
        members = config.getValue("test.members." + CLUSTER, String.class);
    }

    @Test
    @Order(1)
    void captureRecordsThreePointsInTime() throws Exception {
        REVISIONS.clear();
        TIMES.clear();
        STATES.clear();
        support.registerWithMembers(CLUSTER, endpoints, members);
        given().baseUri(schedulerUrl).contentType(ContentType.JSON).body("{\"id\": \"deltas\", \"kind\": \"DELTA\", \"schedule\": \"@every 1s\"}")
                .post("/api/v1/clusters/" + CLUSTER + "/policies").then().statusCode(201);
        awaitCapture(view -> "ACTIVE".equals(view.getString("chains[0].state")) && "WATCHING".equals(view.getString("live.state")));

        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            for (int i = 0; i < 100; i++) {
                put(etcd, "/pitr/a/" + i, "v1-" + i);
            }
            long lease = etcd.getLeaseClient().grant(600).get(10, TimeUnit.SECONDS).getID();
            etcd.getKVClient().put(bytes("/pitr/leased/one"), bytes("l1"), PutOption.builder().withLeaseId(lease).build()).get(10, TimeUnit.SECONDS);
            etcd.getKVClient().txn().Then(Op.put(bytes("/pitr/txn/x"), bytes("x"), PutOption.DEFAULT),
                    Op.put(bytes("/pitr/txn/y"), bytes("y"), PutOption.DEFAULT), Op.delete(bytes("/pitr/a/0"), DeleteOption.DEFAULT))
                    .commit().get(10, TimeUnit.SECONDS);
            point(etcd, "first");

            for (int i = 0; i < 50; i++) {
                put(etcd, "/pitr/a/" + i, "v2-" + i);
            }
            for (int i = 80; i < 100; i++) {
                etcd.getKVClient().delete(bytes("/pitr/a/" + i)).get(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 200; i++) {
                put(etcd, "/pitr/b/" + i, "b-" + i);
            }
            point(etcd, "second");

            etcd.getKVClient().delete(bytes("/pitr/b/1"), DeleteOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
            long later = etcd.getLeaseClient().grant(300).get(10, TimeUnit.SECONDS).getID();
            etcd.getKVClient().put(bytes("/pitr/leased/two"), bytes("l2"), PutOption.builder().withLeaseId(later).build()).get(10, TimeUnit.SECONDS);
            put(etcd, "/pitr/a/1", "v3");
            point(etcd, "third");
            kvsAtThird = RestoreTestSupport.everythingKvs(etcd, REVISIONS.get("third"));
        }
        JsonPath window = awaitWindow(w -> w.getLong("windows[0].toRevision") >= REVISIONS.get("third"));
        assertTrue(window.getLong("windows[0].fromRevision") < REVISIONS.get("first"), window.prettify());
        assertFalse(window.getList("windows[0].fullSnapshotIds").isEmpty());

        // capture off, two writes, capture on again: the new chain starts from a full snapshot taken after both, so the
        // state between them is in no backup
        String firstChain = awaitCapture(view -> true).getString("chains[0].id");
        given().baseUri(schedulerUrl).delete("/api/v1/clusters/" + CLUSTER + "/policies/deltas").then().statusCode(204);
        awaitCapture(view -> firstChain.equals(view.getString("chains[0].id")) && "ENDED".equals(view.getString("chains[0].state")));
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, "/pitr/uncaptured", "u1");
            uncaptured = RestoreTestSupport.revision(etcd);
            put(etcd, "/pitr/uncaptured", "u2");
        }
        given().baseUri(schedulerUrl).contentType(ContentType.JSON).body("{\"id\": \"deltas\", \"kind\": \"DELTA\", \"schedule\": \"@every 1s\"}")
                .post("/api/v1/clusters/" + CLUSTER + "/policies").then().statusCode(201);
        awaitCapture(view -> !firstChain.equals(view.getString("chains[0].id")) && "ACTIVE".equals(view.getString("chains[0].state")));
    }

    @Test
    @Order(2)
    void anApiRestoreToARevisionBringsBackExactlyThatKeyspace() throws Exception {
        String id = RestoreTestSupport.start("{\"cluster\": \"pitr\", \"toRevision\": " + REVISIONS.get("first") + ", \"prune\": true}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);
        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals(REVISIONS.get("first"), view.getLong("pointInTime.revision"));
        assertFalse(view.getList("pointInTime.deltas").isEmpty(), "deltas were replayed onto the full snapshot");
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            assertEquals(STATES.get("first"), RestoreTestSupport.everything(etcd), "the keyspace of revision " + REVISIONS.get("first"));
        }
    }

    @Test
    @Order(3)
    void anApiRestoreToATimeBringsBackTheKeyspaceOfThatMoment() throws Exception {
        String id = RestoreTestSupport.start("{\"cluster\": \"pitr\", \"toTime\": \"" + TIMES.get("second") + "\", \"prune\": true}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);
        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals(REVISIONS.get("second"), view.getLong("pointInTime.revision"), "the time resolved to the revision of that moment");
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            assertEquals(STATES.get("second"), RestoreTestSupport.everything(etcd));
        }
    }

    @Test
    @Order(4)
    void aRevisionInAGapOrOutsideCoverageIsRefused() {
        JsonPath window = given().get("/api/v1/clusters/pitr/recovery-window").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> windows = window.getList("windows");
        assertTrue(windows.stream().noneMatch(w -> ((Number) w.get("fromRevision")).longValue() <= uncaptured
                && ((Number) w.get("toRevision")).longValue() >= uncaptured), "no window holds revision " + uncaptured + ": " + window.prettify());
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": " + uncaptured + "}").post("/api/v1/restores").then()
                .statusCode(400).body("field", equalTo("toRevision")).body("error", containsString("revision " + uncaptured + " cannot be restored"))
                .body("error", containsString("a gap between ranges"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": 999999999}").post("/api/v1/restores").then()
                .statusCode(400).body("field", equalTo("toRevision")).body("error", containsString("what can be restored is"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toTime\": \"2001-01-01T00:00:00Z\"}").post("/api/v1/restores").then()
                .statusCode(400).body("field", equalTo("toTime"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": 5, \"toTime\": \"2026-01-01T00:00:00Z\"}")
                .post("/api/v1/restores").then().statusCode(400).body("field", equalTo("toTime"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"snapshot\": \"abc\", \"toRevision\": 5}").post("/api/v1/restores")
                .then().statusCode(400).body("field", equalTo("snapshot"));
        given().get("/api/v1/clusters/nobody/recovery-window").then().statusCode(404);
    }

    /**
     * A point-in-time drill: the deltas replayed onto their full snapshot on the agent, in a scratch etcd, match the HashKV
     * the source member gave when capture stored the last delta; a delta damaged in the bucket fails it at stage replay,
     * naming the delta, and leaves the full snapshot's own verdict alone.
     */
    @Test
    @Order(5)
    void aPointInTimeDrillReplaysTheDeltasAndMatchesTheHashCaptureRecorded() throws Exception {
        long third = REVISIONS.get("third");
        assertTrue(support.count("select count(*) from snapshot where cluster_id = ? and kind = 'DELTA' and kv_hash is not null", CLUSTER) > 0,
                "capture recorded keyspace fingerprints with its deltas");
        JsonPath accepted = given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": " + third + "}")
                .post("/api/v1/drills").then().statusCode(202).extract().jsonPath();
        List<String> deltas = accepted.getList("deltas");
        assertFalse(deltas.isEmpty(), accepted.prettify());
        JsonPath passed = RestoreTestSupport.awaitDrill(accepted.getString("id"));
        assertEquals("PASSED", passed.getString("state"), passed.prettify());
        assertEquals(third, passed.getLong("toRevision"));
        assertEquals(third, passed.getLong("revision"), "capture's last delta before the policy was removed ends at the third point");
        assertTrue(passed.getBoolean("hashCompared"), passed.prettify());
        assertEquals(passed.getLong("expectedHash"), passed.getLong("observedHash"), "the replayed keyspace hashes as the source did");
        assertEquals(STATES.get("third").size(), passed.getLong("observedKeys"), "the keys live at the third point");
        assertTrue(passed.getInt("sampledKeys") > 0, passed.prettify());
        String lastDelta = deltas.get(deltas.size() - 1);
        RestoreTestSupport.awaitCatalog(passed.getString("snapshot"), passed.getString("id"));
        assertEquals(1, support.count("select count(*) from snapshot where id = ? and revision = " + third + " and kv_hash = "
                + passed.getLong("expectedHash"), lastDelta), "the expectation is the fingerprint recorded with the last delta");

        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": 1}").post("/api/v1/drills").then().statusCode(400)
                .body("field", equalTo("toRevision")).body("error", containsString("no point at or before revision 1"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": " + third + ", \"snapshot\": \""
                + passed.getString("snapshot") + "\"}").post("/api/v1/drills").then().statusCode(400).body("field", equalTo("snapshot"));

        // the last delta's stored object with one byte flipped: fetching it fails, and the drill says which delta
        String bucket = support.ids("select bucket from snapshot where id = ?", lastDelta).get(0);
        String key = support.ids("select object_key from snapshot where id = ?", lastDelta).get(0);
        io.minio.MinioClient s3 = RestoreTestSupport.s3();
        byte[] stored = RestoreTestSupport.readObject(s3, bucket, key);
        byte[] damaged = stored.clone();
        damaged[damaged.length / 2] ^= 0x10;
        RestoreTestSupport.writeObject(s3, bucket, key, damaged);
        try {
            String damagedDrill = given().contentType(ContentType.JSON).body("{\"cluster\": \"pitr\", \"toRevision\": " + third + "}")
                    .post("/api/v1/drills").then().statusCode(202).extract().path("id");
            JsonPath failed = RestoreTestSupport.awaitDrill(damagedDrill);
            assertEquals("FAILED", failed.getString("state"), failed.prettify());
            assertEquals("replay", failed.getString("stage"), failed.prettify());
            assertTrue(failed.getString("reason").contains(lastDelta), "the reason names the damaged delta: " + failed.getString("reason"));
        } finally {
            RestoreTestSupport.writeObject(s3, bucket, key, stored);
        }
        JsonPath full = given().baseUri(snapshotUrl).get("/api/v1/snapshots/" + passed.getString("snapshot")).then().statusCode(200).extract()
                .jsonPath();
        assertEquals(passed.getString("id"), full.getString("drill.id"), "a damaged delta is no verdict on the full snapshot: " + full.prettify());
    }

    @Test
    @Order(6)
    void aReplaceRestoreToARevisionHoldsEveryKeyWithTheRevisionsEtcdGaveIt() throws Exception {
        long third = REVISIONS.get("third");
        String id = RestoreTestSupport.start("{\"cluster\": \"pitr\", \"toRevision\": " + third + ", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);
        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        if (ConfigProvider.getConfig().getValue("local-stack.etcd-version", String.class).equals("3.4")) {
            assertEquals(third, view.getLong("members[0].revision"), "the member is at the target revision");
        } else {
            assertTrue(view.getBoolean("members[0].revisionBumped"), view.prettify());
            assertEquals(third + 1_000_000_000L, view.getLong("members[0].revision"), "etcdutl moved the revision by the bump");
        }
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            List<KeyValue> restored = RestoreTestSupport.everythingKvs(etcd, 0);
            assertEquals(describe(kvsAtThird), describe(restored), "keys, values, create and mod revisions, versions and leases of revision "
                    + third);
            assertEquals(STATES.get("third"), RestoreTestSupport.everything(etcd));
        }
    }

    /** Records the revision, etcd's keyspace at it and a moment between it and the next writes. */
    private static void point(Client etcd, String name) throws Exception {
        long revision = RestoreTestSupport.revision(etcd);
        REVISIONS.put(name, revision);
        STATES.put(name, RestoreTestSupport.everything(etcd, revision));
        Thread.sleep(1500);
        TIMES.put(name, Instant.now());
        Thread.sleep(1500);
    }

    private static List<String> describe(List<KeyValue> kvs) {
        return kvs.stream().map(kv -> kv.getKey().toString(StandardCharsets.UTF_8) + "=" + kv.getValue().toString(StandardCharsets.UTF_8)
                + " create " + kv.getCreateRevision() + " mod " + kv.getModRevision() + " version " + kv.getVersion() + " lease " + kv.getLease())
                .toList();
    }

    private JsonPath awaitCapture(Predicate<JsonPath> condition) throws InterruptedException {
        return await(() -> given().baseUri(snapshotUrl).get("/api/v1/clusters/" + CLUSTER + "/delta-capture").then().statusCode(200).extract()
                .jsonPath(), view -> !view.getList("chains").isEmpty() && condition.test(view));
    }

    private static JsonPath awaitWindow(Predicate<JsonPath> condition) throws InterruptedException {
        return await(() -> given().get("/api/v1/clusters/" + CLUSTER + "/recovery-window").then().statusCode(200).extract().jsonPath(),
                view -> !view.getList("windows").isEmpty() && view.get("windows[0].chainId") != null && condition.test(view));
    }

    private static JsonPath await(java.util.function.Supplier<JsonPath> read, Predicate<JsonPath> condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (true) {
            JsonPath view = read.get();
            if (condition.test(view)) {
                return view;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not there: " + view.prettify());
            }
            Thread.sleep(300);
        }
    }

    private static void put(Client etcd, String key, String value) throws Exception {
        etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return RestoreTestSupport.bytes(text);
    }
}
