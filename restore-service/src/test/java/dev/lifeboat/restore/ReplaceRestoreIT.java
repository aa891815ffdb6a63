package dev.lifeboat.restore;

import static dev.lifeboat.restore.RestoreTestSupport.put;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.lifeboat.etcdsnapshot.HashTrailer;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * REPLACE on real etcd members run by real etcd-agents (built jars), with scheduler-service and
 * snapshot-service beside: a one-member and a three-member cluster are backed up, changed, and
 * replaced from the snapshot; every member then serves exactly the snapshot's keyspace, compared key by
 * key on each member alone. A member whose restore fails fails the restore with its reason, and the
 * rollback puts every member's pre-restore data back.
 */
@QuarkusTest
@WithTestResource(ReplaceStackResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplaceRestoreIT {

    @Inject
    AgroalDataSource db;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;
    @ConfigProperty(name = "test.scheduler.url")
    String schedulerUrl;
    // Looked up when a test runs, not injected: another test class's application (without agents) also
    // validates this class's injection points when it starts.
    private String solo;
    private String trio;
    private String soloMembers;
    private String trioMembers;
    private String breakTrio2;
    private String failSolo0;
    private String agentsDir;

    private RestoreTestSupport support;
    /** The large snapshot of {@code solo}, for the download test after the REPLACE test. */
    private static SnapshotCompleted large;

    @BeforeEach
    void setUp() {
        support = new RestoreTestSupport(kafka, schedulerUrl, db);
        RestoreHooks.reset();
        Config config = ConfigProvider.getConfig();
        solo = config.getValue("test.etcd.solo", String.class);
        trio = config.getValue("test.etcd.trio", String.class);
        soloMembers = config.getValue("test.members.solo", String.class);
        trioMembers = config.getValue("test.members.trio", String.class);
        breakTrio2 = config.getValue(ReplaceStackResource.BREAK_TRIO_2, String.class);
        failSolo0 = config.getValue(ReplaceStackResource.FAIL_SOLO_0, String.class);
        agentsDir = config.getValue("test.agents.dir", String.class);
    }

    @Test
    @Order(1)
    void oneMemberIsReplacedByTheSnapshotKeyByKey() throws Exception {
        register("solo", solo, soloMembers);
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/pods/", 150, "v1"));
            put(etcd, Map.of("/other/a", "1", "/other/b", "2"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("solo");
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/pods/", 40, "v2"));
            RestoreTestSupport.delete(etcd, "/other/a");
            put(etcd, Map.of("/after/backup", "x"));
            assertNotEquals(snapshotted, everything(etcd));
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        RestoreTestSupport.assertPhases(view, "VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING");
        assertEquals("RESTORED", view.getString("members[0].state"));
        assertFalse(view.getBoolean("members[0].revisionBumped"), "etcd 3.4 cannot bump the revision");
        assertTrue(view.getString("note").contains("--bump-revision"), "the note says why the revision was not bumped: " + view.getString("note"));
        assertEquals(snapshotted.size(), view.getLong("progress.keysTotal"));
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(snapshotted, everything(etcd), "the member serves exactly the snapshot's keyspace");
        }
        assertFalse(support.paused("solo"));
        assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls(), "the pause and resume hooks ran around the swap");
        RestoreMember command = (RestoreMember) EventCodec.decode(TopicProbe.await(kafka, Topics.AGENT_COMMANDS,
                r -> "solo/solo-0".equals(r.key()), 1, RestoreTestSupport.WAIT).get(0)).payload();
        assertEquals(id, command.restoreId());
        assertEquals("lifeboat-restore-" + id, command.initialClusterToken());
        try (var dirs = Files.list(Path.of(agentsDir))) {
            assertTrue(dirs.anyMatch(dir -> dir.getFileName().toString().startsWith("solo-0.pre-restore-")), "the old data dir is kept");
        }
    }

    @Test
    @Order(2)
    void everyMemberOfAThreeMemberClusterServesTheSnapshot() throws Exception {
        register("trio", trio, trioMembers);
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/secrets/", 120, "s1"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("trio");
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/secrets/", 60, "s2"));
            RestoreTestSupport.delete(etcd, "/registry/secrets/00007");
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"trio\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals(List.of("RESTORED", "RESTORED", "RESTORED"), view.getList("members.state"));
        List<Long> revisions = view.getList("members.revision", Long.class);
        assertEquals(1, revisions.stream().distinct().count(), "one revision on every member: " + revisions);
        for (String endpoint : trio.split(",")) {
            try (Client member = RestoreTestSupport.etcd(endpoint)) {
                assertEquals(snapshotted, everything(member), "member at " + endpoint + " serves exactly the snapshot");
            }
        }
        assertFalse(support.paused("trio"));
    }

    @Test
    @Order(3)
    void aMemberThatCannotRestoreFailsTheRestoreAndRollbackPutsThePreRestoreDataBack() throws Exception {
        TreeMap<String, String> before;
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/configmaps/", 30, "c1"));
            before = everything(etcd);
        }
        String snapshot = given().get("/api/v1/restores?cluster=trio").then().statusCode(200).extract().path("[0].snapshot");
        Files.writeString(Path.of(breakTrio2), "break");
        String id;
        try {
            id = RestoreTestSupport.start("{\"cluster\": \"trio\", \"snapshot\": \"" + snapshot + "\", \"mode\": \"REPLACE\"}");
            JsonPath view = RestoreTestSupport.awaitEnd(id);
            assertEquals("FAILED", view.getString("phase"), view.prettify());
            String error = view.getString("error");
            assertTrue(error.contains("trio-2: etcd did not serve the restored data"), error);
            assertTrue(error.contains("/rollback"), "the error says how to roll back: " + error);
            Map<String, String> states = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++) {
                states.put(view.getString("members[" + i + "].name"), view.getString("members[" + i + "].state"));
            }
            assertEquals(Map.of("trio-0", "RESTORED", "trio-1", "RESTORED", "trio-2", "FAILED"), states);
            assertTrue(support.paused("trio"), "a failed REPLACE keeps the cluster paused");
        } finally {
            Files.deleteIfExists(Path.of(breakTrio2));
        }

        given().post("/api/v1/restores/" + id + "/rollback").then().statusCode(202).body("rollback.state", equalTo("REQUESTED"));
        JsonPath view = awaitRollback(id);
        assertEquals("ROLLED_BACK", view.getString("rollback.state"), view.prettify());
        assertEquals(List.of("ROLLED_BACK", "ROLLED_BACK", "ROLLED_BACK"), view.getList("members.rollbackState"));
        for (String endpoint : trio.split(",")) {
            try (Client member = RestoreTestSupport.etcd(endpoint)) {
                assertEquals(before, everything(member), "member at " + endpoint + " serves its pre-restore data again");
            }
        }
        assertFalse(support.paused("trio"), "the cluster is resumed after the rollback");
        given().post("/api/v1/restores/" + id + "/rollback").then().statusCode(202).body("rollback.state", equalTo("ROLLED_BACK"));
    }

    @Test
    @Order(4)
    void replaceRequestsThatCannotWorkAreRefused() throws Exception {
        given().contentType(ContentType.JSON).body("{\"cluster\": \"solo\", \"mode\": \"REPLACE\", \"keyPrefix\": \"/registry/\"}")
                .post("/api/v1/restores").then().statusCode(400).body("field", equalTo("keyPrefix"));
        given().post("/api/v1/restores/0000000000000000/rollback").then().statusCode(404);
        String api = RestoreTestSupport.start("{\"cluster\": \"solo\", \"mode\": \"API\", \"dryRun\": true}");
        RestoreTestSupport.awaitEnd(api);
        given().post("/api/v1/restores/" + api + "/rollback").then().statusCode(409).body("field", equalTo("mode"));
    }

    /**
     * A keyspace of more than 100 MB that zstd shrinks more than tenfold (one 133 KB value under 700 keys,
     * beside 20 values of random bytes), through the agent, whose HTTP/2 client drains the content as fast as
     * it can write the file: snapshot-service decompresses far faster than that, and its direct memory is
     * 64 MB. The member then serves exactly the backed-up keyspace.
     */
    @Test
    @Order(5)
    void aSnapshotOfMoreThan100MbThatCompressesWellIsReplacedThroughTheAgent() throws Exception {
        String before;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            putLargeKeyspace(etcd);
            before = RestoreTestSupport.digest(etcd);
        }
        large = support.backUp("solo");
        assertTrue(large.rawSize() > 100_000_000L, "the snapshot is larger than 100 MB: " + large.rawSize());
        assertTrue(large.storedSize() * 10 < large.rawSize(), "zstd stores it in less than a tenth: " + large.storedSize() + " of " + large.rawSize());
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            RestoreTestSupport.delete(etcd, "/large/repeated-0007");
            put(etcd, Map.of("/large/after-backup", "x"));
            assertNotEquals(before, RestoreTestSupport.digest(etcd));
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + large.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals("RESTORED", view.getString("members[0].state"));
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(before, RestoreTestSupport.digest(etcd), "the member serves exactly the backed-up keyspace");
        }
    }

    /**
     * A downloader that reads the content slowly over HTTP/2 gets all of it, intact (etcd's SHA-256 trailer
     * matches the bytes before it), while snapshot-service's direct memory stays far below its 64 MB limit
     * and the service keeps answering.
     */
    @Test
    @Order(6)
    void aSlowHttp2DownloaderGetsTheWholeContentWhileMemoryStaysBounded() throws Exception {
        String snapshotUrl = ConfigProvider.getConfig().getValue("test.snapshot.url", String.class);
        AtomicLong peakDirect = new AtomicLong();
        AtomicBoolean downloading = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (downloading.get()) {
                peakDirect.accumulateAndGet(directMemoryUsed(snapshotUrl), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<InputStream> response = http.send(HttpRequest
                .newBuilder(URI.create(snapshotUrl + "/api/v1/snapshots/" + large.snapshotId() + "/content"))
                .header("Authorization", "Bearer " + LocalStackResource.adminToken()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Path file = Files.createTempFile(Path.of("target"), "slow-download", ".db");
        try {
            try (InputStream body = response.body(); var out = Files.newOutputStream(file)) {
                assertEquals(200, response.statusCode());
                assertEquals(HttpClient.Version.HTTP_2, response.version(), "the download runs over HTTP/2");
                byte[] buffer = new byte[256 * 1024];
                for (int read; (read = body.readNBytes(buffer, 0, buffer.length)) > 0;) {
                    out.write(buffer, 0, read);
                    Thread.sleep(10); // about 25 MB/s: far slower than snapshot-service decompresses
                }
            } finally {
                downloading.set(false);
                sampler.join();
            }
            System.out.printf("slow HTTP/2 download of %d bytes: snapshot-service's direct memory peaked at %d bytes%n", Files.size(file),
                    peakDirect.get());
            assertEquals(large.rawSize(), Files.size(file), "every byte of the snapshot arrived");
            assertEquals(large.rawSize() - HashTrailer.SIZE, HashTrailer.verify(file).dbSize(), "etcd's SHA-256 trailer matches the content");
        } finally {
            Files.deleteIfExists(file);
        }
        assertTrue(peakDirect.get() < 32L << 20, "snapshot-service's direct memory stayed bounded: peak " + peakDirect.get() + " bytes");
        given().baseUri(snapshotUrl).get("/q/health/ready").then().statusCode(200);
    }

    /**
     * A REPLACE whose only member fails before its data dir was touched (its restore tool fails) changes
     * nothing: the cluster is resumed by itself and says so, backups run again, etcd serves what it served.
     */
    @Test
    @Order(7)
    void aReplaceThatChangedNoMemberResumesTheClusterByItself() throws Exception {
        String before;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            before = RestoreTestSupport.digest(etcd);
        }
        Files.writeString(Path.of(failSolo0), "fail");
        String id;
        try {
            id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + large.snapshotId() + "\", \"mode\": \"REPLACE\"}");
            JsonPath view = RestoreTestSupport.awaitEnd(id);
            assertEquals("FAILED", view.getString("phase"), view.prettify());
            String error = view.getString("error");
            assertTrue(error.contains("no space left on device"), "the member's reason is shown: " + error);
            assertTrue(error.endsWith("no member's data was changed and cluster 'solo' was resumed"), error);
            assertEquals("FAILED", view.getString("members[0].state"));
            assertFalse(view.getBoolean("members[0].dataChanged"), view.prettify());
        } finally {
            Files.deleteIfExists(Path.of(failSolo0));
        }
        assertFalse(support.paused("solo"), "the cluster was resumed");
        assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls(), "the resume hooks ran");
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(before, RestoreTestSupport.digest(etcd), "the member serves what it served before");
        }
        support.backUp("solo");
    }

    /** snapshot-service's direct buffer memory in use, from its metrics (0 when it cannot be read). */
    private static long directMemoryUsed(String snapshotUrl) {
        try {
            String metrics = given().baseUri(snapshotUrl).get("/q/metrics").then().extract().asString();
            return metrics.lines().filter(line -> line.startsWith("jvm_buffer_memory_used_bytes{") && line.contains("id=\"direct\""))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).findFirst().orElse(0);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** 700 keys of one 133 KB base64 value (zstd finds the repeats) and 20 values of 100 KB random bytes. */
    private static void putLargeKeyspace(Client etcd) throws Exception {
        Random random = new Random(16);
        byte[] noise = new byte[100_000];
        random.nextBytes(noise);
        ByteSequence repeated = ByteSequence.from(Base64.getEncoder().encode(noise));
        for (int i = 0; i < 700; i++) {
            etcd.getKVClient().put(RestoreTestSupport.bytes(String.format("/large/repeated-%04d", i)), repeated).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 20; i++) {
            random.nextBytes(noise);
            etcd.getKVClient().put(RestoreTestSupport.bytes(String.format("/large/random-%02d", i)), ByteSequence.from(noise.clone()))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private void register(String cluster, String endpoints, String members) throws Exception {
        support.registerWithMembers(cluster, endpoints, members);
    }

    private static JsonPath awaitRollback(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (true) {
            JsonPath view = given().get("/api/v1/restores/" + id).then().statusCode(200).extract().jsonPath();
            if (!"REQUESTED".equals(view.getString("rollback.state")) || Instant.now().isAfter(deadline)) {
                return view;
            }
            Thread.sleep(200);
        }
    }

    private static TreeMap<String, String> everything(Client etcd) throws Exception {
        return RestoreTestSupport.everything(etcd);
    }

    private static Map<String, String> numbered(String prefix, int count, String value) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(prefix + String.format("%05d", i), value + "-" + i);
        }
        return entries;
    }
}
