package dev.lifeboat.snapshot;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.access.format.KeyRing;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;

/**
 * gzip and encryption at rest: the stored object does not show the data, decrypts with the documented
 * format (Tink AES256-GCM-HKDF, 1 MiB segments, key id as associated data) and the content endpoint
 * serves the plain snapshot.
 */
@QuarkusTest
@TestProfile(EncryptedSnapshotIT.GzipEncrypted.class)
@WithTestResource(LocalStackResource.class)
class EncryptedSnapshotIT {

    static final byte[] KEY = Base64.getDecoder().decode("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=");

    public static class GzipEncrypted implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path key = Files.createTempFile("lifeboat-key", ".b64");
                Files.writeString(key, Base64.getEncoder().encodeToString(KEY));
                return Map.of("lifeboat.snapshots.compression", "GZIP",
                        "lifeboat.encryption.active-key", "k2026",
                        "lifeboat.encryption.keys.k2026.file", key.toString());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "local-stack.etcd-endpoints")
    String etcdEndpoints;
    @Inject
    S3Config s3;
    @Inject
    AgroalDataSource db;

    @Test
    void storedEncryptedAndServedPlain() throws Exception {
        String cluster = "enc-" + UUID.randomUUID().toString().substring(0, 8);
        String secretValue = "kubernetes-secret-" + UUID.randomUUID();
        try (Client etcd = Client.builder().endpoints(etcdEndpoints).build()) {
            etcd.getKVClient().put(ByteSequence.from("/registry/secrets/" + cluster, StandardCharsets.UTF_8),
                    ByteSequence.from(secretValue, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        }
        new SnapshotTestSupport(bootstrap, s3, db).register(cluster,
                new ClusterSpec("enc", List.of(etcdEndpoints.split(",")), null, null, null, List.of(), false, false));
        String requestId = "req-" + UUID.randomUUID();
        TestEvents.publish(bootstrap, "lifeboat/scheduler-service",
                new SnapshotRequested(requestId, cluster, SnapshotKind.FULL, "test", null, Instant.now()));
        List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS,
                r -> EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                        && new String(r.value(), StandardCharsets.UTF_8).contains(requestId), 1, Duration.ofSeconds(60));
        assertEquals(1, records.size());
        SnapshotCompleted completed = (SnapshotCompleted) EventCodec.decode(records.get(0)).payload();
        assertEquals("k2026", completed.encryptionKeyId());
        assertEquals("gzip", completed.compression());
        assertTrue(completed.objectKey().endsWith(".db.gz.enc"), completed.objectKey());

        MinioClient minio = MinioClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
        byte[] stored;
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(completed.bucket()).object(completed.objectKey()).build())) {
            stored = in.readAllBytes();
        }
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains(secretValue), "the stored object does not show the secret");

        // Decrypt by the documented format, then gunzip: an ordinary etcd snapshot.
        byte[] plain;
        try (InputStream in = new GZIPInputStream(KeyRing.streaming(KEY).newDecryptingStream(
                new java.io.ByteArrayInputStream(stored), "k2026".getBytes(StandardCharsets.UTF_8)))) {
            plain = in.readAllBytes();
        }
        byte[] served = given().get("/api/v1/snapshots/" + completed.snapshotId() + "/content").then().statusCode(200).extract()
                .asByteArray();
        assertTrue(java.util.Arrays.equals(plain, served), "the content endpoint serves the same plain snapshot");
        Path file = Files.write(Files.createTempFile("plain", ".db"), plain);
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
            snapshot.verify();
            Optional<dev.lifeboat.etcdsnapshot.KeyValue> kv = snapshot.get(("/registry/secrets/" + cluster).getBytes(StandardCharsets.UTF_8));
            assertEquals(secretValue, new String(kv.orElseThrow().value(), StandardCharsets.UTF_8));
        }
        Files.delete(file);
    }
}
