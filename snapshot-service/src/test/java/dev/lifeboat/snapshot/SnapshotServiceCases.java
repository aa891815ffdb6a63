package dev.lifeboat.snapshot;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.KeyValue;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotFailed;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.StackOptions;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import jakarta.inject.Inject;

/**
 * snapshot-service against real etcd, Kafka, S3 and PostgreSQL: requests in, verified objects and
 * catalog entries out, and nothing visible when anything goes wrong.
 */
abstract class SnapshotServiceCases {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "local-stack.secrets-dir")
    String secretsDir;
    @ConfigProperty(name = "local-stack.etcd-endpoints")
    String etcdEndpoints;
    @ConfigProperty(name = "local-stack.etcd-version")
    String etcdVersion;
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
    void snapshotOfKnownDataIsStoredVerifiedAndRestorable() throws Exception {
        String cluster = SnapshotTestSupport.cluster("known");
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        Map<String, String> written = new HashMap<>();
        long revision;
        try (Client etcd = Client.builder().endpoints(etcdEndpoints).build()) {
            for (int i = 0; i < 300; i++) {
                String key = "/snapshot-it/" + cluster + "/k" + i;
                String value = "value-" + i + "-" + "x".repeat(i);
                etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
                written.put(key, value);
            }
            revision = etcd.getKVClient().get(bytes("/none")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        }

        SnapshotCompleted completed = support.awaitCompleted(support.request(cluster));

        assertEquals(revision, completed.revision(), "the exact revision, read from the snapshot");
        assertTrue(completed.objectKey().matches("lifeboat/" + cluster + "/full/\\d{8}T\\d{6}Z-" + completed.snapshotId() + "\\.db\\.zst"),
                "named by its start time and id, known before the first byte: " + completed.objectKey());
        assertEquals("zstd", completed.compression());
        assertTrue(completed.storedSize() < completed.rawSize(), "zstd made it smaller");

        JsonNode entry = given().get("/api/v1/snapshots/" + completed.snapshotId()).then().statusCode(200).extract()
                .as(JsonNode.class);
        assertEquals("COMPLETED", entry.get("phase").asText());
        assertEquals(revision, entry.get("revision").asLong());
        assertEquals(completed.rawSha256(), entry.get("rawSha256").asText());
        assertKeyspaceFingerprint(completed, entry, etcdEndpoints.split(",")[0]);

        byte[] content = given().get("/api/v1/snapshots/" + completed.snapshotId() + "/content").then().statusCode(200)
                .extract().asByteArray();
        assertEquals(completed.rawSize(), content.length);
        Path file = Files.createTempFile("content", ".db");
        Files.write(file, content);
        EtcdRelease release = EtcdRelease.of(etcdVersion);
        JsonNode etcdctl = EventCodec.json().readTree(run(release.etcdutl().orElse(release.etcdctl()).toString(), "snapshot", "status", "-w", "json",
                file.toString()));
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
            var status = snapshot.verify();
            assertEquals(etcdctl.get("hash").asLong(), status.hash());
            assertEquals(etcdctl.get("revision").asLong(), status.revision());
            Map<String, String> live = new HashMap<>();
            snapshot.forEachLive(("/snapshot-it/" + cluster + "/").getBytes(), (KeyValue kv) ->
                    live.put(kv.keyUtf8(), new String(kv.value(), StandardCharsets.UTF_8)));
            assertEquals(written, live);
        }

        StatObjectResponse object = support.minio().statObject(StatObjectArgs.builder().bucket(completed.bucket())
                .object(completed.objectKey()).build());
        assertEquals(completed.storedSize(), object.size());
        assertEquals(cluster, object.userMetadata().get("lifeboat-cluster"), "what is known at the start is on the object itself");
        assertEquals(completed.snapshotId(), object.userMetadata().get("lifeboat-snapshot-id"));
        assertEquals(completed.compression(), object.userMetadata().get("lifeboat-compression"));
        assertEquals(SnapshotTestSupport.stored(completed), support.objectsUnder("lifeboat/" + cluster + "/"),
                "the snapshot and its manifest; no other object (nothing staged, nothing copied)");
        JsonNode manifest = EventCodec.json().readTree(support.minio().getObject(io.minio.GetObjectArgs.builder().bucket(completed.bucket())
                .object(ObjectLayout.manifestOf(completed.objectKey())).build()).readAllBytes());
        assertEquals(ObjectLayout.MANIFEST_FORMAT, manifest.path("format").asText());
        assertEquals(revision, manifest.path("revision").asLong());
        assertEquals(completed.rawSha256(), manifest.path("rawSha256").asText());
        assertEquals(completed.storedSha256(), manifest.path("storedSha256").asText());
        assertEquals(completed.storedSize(), manifest.path("storedSize").asLong());
        assertEquals(completed.etcdVersion(), manifest.path("etcdVersion").asText());
        assertFalse(manifest.path("etcdClusterId").asText().isBlank(), manifest.toString());
        assertEquals(entry.path("etcdClusterId").asText(), manifest.path("etcdClusterId").asText());
        Files.delete(file);
    }

    /**
     * The fingerprint recorded for a restore drill is etcd's own: HashKV and the live key count at the snapshot's revision,
     * asked again here of the member; more writes afterwards do not change the answer at that revision.
     */
    private static void assertKeyspaceFingerprint(SnapshotCompleted completed, JsonNode entry, String endpoint) throws Exception {
        SnapshotCompleted.KeyspaceFingerprint recorded = completed.keyspace();
        assertTrue(recorded != null, "a full snapshot carries the keyspace fingerprint of its revision");
        try (Client etcd = Client.builder().endpoints(endpoint).build()) {
            etcd.getKVClient().put(bytes("/snapshot-it/after-the-snapshot"), bytes("later")).get(10, TimeUnit.SECONDS);
            var hash = etcd.getMaintenanceClient().hashKV(endpoint, completed.revision()).get(30, TimeUnit.SECONDS);
            long keys = etcd.getKVClient().get(bytes("\0"), io.etcd.jetcd.options.GetOption.builder().isPrefix(false)
                    .withRange(bytes("\0")).withRevision(completed.revision()).withCountOnly(true).build()).get(10, TimeUnit.SECONDS).getCount();
            assertEquals(Integer.toUnsignedLong(hash.getHash()), recorded.hash(), "etcd's HashKV at the snapshot's revision");
            assertEquals(Math.max(0, hash.getCompacted()), recorded.compactRevision(), "never compacted reads 0");
            assertEquals(keys, recorded.keys(), "the keys live at the snapshot's revision");
            assertTrue(recorded.keys() >= 300, "at least the keys this test wrote: " + recorded.keys());
        }
        assertEquals(recorded.hash(), entry.get("kvHash").asLong(), "the catalog shows the fingerprint");
        assertEquals(recorded.compactRevision(), entry.get("kvHashCompactRevision").asLong());
        assertEquals(recorded.keys(), entry.get("keyCount").asLong());
    }

    @Test
    void theSameRequestTwiceIsOneSnapshot() throws Exception {
        String cluster = SnapshotTestSupport.cluster("dup");
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        String requestId = "req-" + UUID.randomUUID();
        SnapshotRequested request = new SnapshotRequested(requestId, cluster, SnapshotKind.FULL, "test", null, Instant.now());
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, request);
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, request);
        support.awaitCompleted(requestId);
        Thread.sleep(2000);
        JsonNode list = given().queryParam("cluster", cluster).get("/api/v1/snapshots").then().statusCode(200).extract()
                .as(JsonNode.class);
        assertEquals(1, list.size(), list.toString());
        assertEquals(1, support.snapshotEvents(cluster, EventType.SNAPSHOT_COMPLETED, Duration.ofSeconds(3)).size());
        assertEquals(2, support.objectsUnder("lifeboat/" + cluster + "/").size(), "one object and its manifest");
    }

    @Test
    void aStreamCorruptedInFlightLeavesNoObjectAndAFailedEntry() throws Exception {
        String cluster = SnapshotTestSupport.cluster("corrupt");
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        CorruptingEtcdSnapshotSource.CORRUPT.add(cluster);
        try {
            SnapshotFailed failed = support.awaitFailed(support.request(cluster));
            assertTrue(failed.reason().contains("failed verification") && failed.reason().contains("does not match"), failed.reason());
            JsonNode entry = given().get("/api/v1/snapshots/" + failed.snapshotId()).then().statusCode(200).extract().as(JsonNode.class);
            assertEquals("FAILED", entry.get("phase").asText());
            assertEquals(List.of(), support.objectsUnder("lifeboat/" + cluster + "/"), "nothing visible");
            given().get("/api/v1/snapshots/" + failed.snapshotId() + "/content").then().statusCode(409);
        } finally {
            CorruptingEtcdSnapshotSource.CORRUPT.remove(cluster);
        }
    }

    @Test
    void wrongEtcdCredentialsFailWithAClearReasonAndNoSecret(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (EtcdCluster secured = EtcdCluster.start(StackOptions.forTests(dir.resolve("etcd"), Map.of()))) {
            String endpoint = secured.endpoints();
            run("etcdctl", "--endpoints=" + endpoint, "user", "add", "root:right-password");
            run("etcdctl", "--endpoints=" + endpoint, "auth", "enable");
            Path secrets = Files.createDirectories(Path.of(secretsDir));
            Path user = Files.writeString(secrets.resolve("user"), "root\n");
            Path password = Files.writeString(secrets.resolve("password"), "wrong-password-s3cr3t\n");
            String cluster = SnapshotTestSupport.cluster("auth");
            support.register(cluster, SnapshotTestSupport.spec(endpoint, new ClusterSpec.Auth("file:" + user, "file:" + password)));

            SnapshotFailed failed = support.awaitFailed(support.request(cluster));

            assertTrue(failed.reason().contains("rejected Lifeboat") && failed.reason().contains("authentication failed"),
                    failed.reason());
            assertFalse(failed.reason().contains("wrong-password-s3cr3t"), "no secret in the reason");
            assertEquals(List.of(), support.objectsUnder("lifeboat/" + cluster + "/"));
        }
    }

    @Test
    void anUnreachableEtcdFailsAfterRetriesNamingTheEndpoint() throws Exception {
        String cluster = SnapshotTestSupport.cluster("down");
        String endpoint = "http://127.0.0.1:" + Ports.free();
        support.register(cluster, SnapshotTestSupport.spec(endpoint, null));
        SnapshotFailed failed = support.awaitFailed(support.request(cluster));
        assertTrue(failed.reason().startsWith("no etcd member of cluster '" + cluster + "' answered: " + endpoint), failed.reason());
        JsonNode entry = given().get("/api/v1/snapshots/" + failed.snapshotId()).then().extract().as(JsonNode.class);
        assertEquals(1, entry.get("attempts").asInt(), "one claim, retried inside it: " + entry);
    }

    @Test
    void aRequestForAnUnknownClusterFails() {
        String cluster = SnapshotTestSupport.cluster("unknown");
        SnapshotFailed failed = support.awaitFailed(support.request(cluster));
        assertEquals("cluster '" + cluster + "' is not registered with Lifeboat", failed.reason());
    }

    @Test
    void badQueryParametersAreRefused() {
        given().queryParam("phase", "SLEEPING").get("/api/v1/snapshots").then().statusCode(400);
        given().get("/api/v1/snapshots/does-not-exist").then().statusCode(404);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static String run(String... command) throws Exception {
        Path output = Files.createTempFile("cmd", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output.toFile()).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, String.join(" ", command));
        String text = Files.readString(output);
        Files.delete(output);
        return text;
    }
}
