package dev.lifeboat.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.HashMultimap;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotCoalesced;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotFailed;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.LocalStack;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.minio.GetObjectArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/** What happens when S3 goes away mid-upload, and when an instance dies mid-upload. */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class SnapshotRecoveryIT {

    private static final Duration WAIT = Duration.ofSeconds(90);

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
    void s3StoppedMidUploadFailsWithNoObjectAndTheNextRequestSucceedsOnceS3IsBack() throws Exception {
        String cluster = "s3down-" + UUID.randomUUID().toString().substring(0, 8);
        fillEtcd(cluster, 12);
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        StoppingObjectStore.STOP_AT_PART_2.add(cluster);
        LifeboatEvent outcome;
        try {
            outcome = support.awaitOutcome(support.request(cluster, "req-" + UUID.randomUUID()));
        } finally {
            StoppingObjectStore.STOP_AT_PART_2.remove(cluster);
            LocalStack.shared(Topics.all()).s3().start();
        }
        assertTrue(outcome instanceof SnapshotFailed, "failed: " + outcome);
        assertTrue(((SnapshotFailed) outcome).reason().startsWith("S3: cannot "), ((SnapshotFailed) outcome).reason());
        assertTrue(!((SnapshotFailed) outcome).reason().contains(s3.secretKey()), "no secret in the reason");
        assertEquals(List.of(), support.objectsUnder("lifeboat/" + cluster + "/"), "nothing visible");

        LifeboatEvent retried = support.awaitOutcome(support.request(cluster, "req-" + UUID.randomUUID()));
        assertTrue(retried instanceof SnapshotCompleted, "completed once S3 is back: " + retried);
        assertEquals(SnapshotTestSupport.stored((SnapshotCompleted) retried), support.objectsUnder("lifeboat/" + cluster + "/"));
    }

    /** S3 gone for a few seconds in the middle of an upload: the snapshot is tried again and completes, once, whole. */
    @Test
    void s3StoppedMidUploadForAMomentIsWaitedOutAndTheSnapshotCompletes() throws Exception {
        String cluster = "s3blip-" + UUID.randomUUID().toString().substring(0, 8);
        fillEtcd(cluster, 12);
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        StoppingObjectStore.STOP_AT_PART_2.add(cluster);
        Thread restarter = new Thread(() -> {
            try {
                // Back once the upload met the outage (part 2 stopped S3), about two seconds later.
                Instant deadline = Instant.now().plusSeconds(60);
                while (StoppingObjectStore.STOP_AT_PART_2.contains(cluster) && Instant.now().isBefore(deadline)) {
                    Thread.sleep(50);
                }
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                LocalStack.shared(Topics.all()).s3().start();
            }
        });
        StoppingObjectStore.ONCE.add(cluster);
        restarter.start();
        LifeboatEvent outcome;
        try {
            outcome = support.awaitOutcome(support.request(cluster, "req-" + UUID.randomUUID()));
        } finally {
            StoppingObjectStore.STOP_AT_PART_2.remove(cluster);
            restarter.join(90_000);
        }
        assertTrue(outcome instanceof SnapshotCompleted, "a short S3 outage is waited out: " + outcome);
        assertEquals(SnapshotTestSupport.stored((SnapshotCompleted) outcome), support.objectsUnder("lifeboat/" + cluster + "/"),
                "one whole object and its manifest, nothing left of the interrupted try");
        assertEquals(((SnapshotCompleted) outcome).storedSize(), support.objectSize(((SnapshotCompleted) outcome).objectKey()));
    }

    @Test
    void aSnapshotLeftRunningByADeadInstanceIsTakenOverCleanedUpAndCompletedOnce() throws Exception {
        String cluster = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        awaitClusterKnown(cluster);
        String bucket = s3.bucket();
        String snapshotId = "dead" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Instant startedAt = Instant.now().minus(Duration.ofMinutes(2));
        String firstKey = ObjectLayout.full("lifeboat/" + cluster, startedAt, snapshotId, 1, Compression.ZSTD, null);
        MinioAsyncClient minio = MinioAsyncClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
        String uploadId = minio.createMultipartUploadAsync(bucket, s3.region(), firstKey, HashMultimap.create(), null)
                .get(30, TimeUnit.SECONDS).result().uploadId();
        minio.uploadPartAsync(bucket, s3.region(), firstKey, new byte[1024], 1024, uploadId, 1, null, null).get(30, TimeUnit.SECONDS);
        String requestId = "req-" + UUID.randomUUID();
        // As an instance leaves it when killed mid-upload: RUNNING, its claim lapsed, an unfinished upload.
        deadAttempt(cluster, snapshotId, requestId, startedAt, firstKey, uploadId);
        // Kafka redelivers the request after the crash: still one snapshot.
        support.request(cluster, requestId);

        LifeboatEvent outcome = support.awaitOutcome(requestId);

        assertTrue(outcome instanceof SnapshotCompleted, "completed: " + outcome);
        assertEquals(snapshotId, ((SnapshotCompleted) outcome).snapshotId());
        assertTrue(((SnapshotCompleted) outcome).objectKey().contains(snapshotId + "-2.db"), "the second attempt writes under its own name: "
                + ((SnapshotCompleted) outcome).objectKey());
        assertEquals(SnapshotTestSupport.stored((SnapshotCompleted) outcome), support.objectsUnder("lifeboat/" + cluster + "/"),
                "exactly one object and its manifest: the first attempt's upload is gone");
        // S3Proxy keeps an unfinished upload as a stub file next to its parts; aborting removes it.
        try (var files = java.nio.file.Files.walk(LocalStack.shared(Topics.all()).s3().baseDir())) {
            assertEquals(List.of(), files.map(java.nio.file.Path::toString).filter(p -> p.contains(".mpus") && p.contains(snapshotId)).toList(),
                    "the stale multipart upload was aborted");
        }
        try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(
                "select count(*), max(attempts), min(phase) from snapshot where request_id = ?")) {
            query.setString(1, requestId);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                assertEquals(1, row.getInt(1));
                assertEquals(2, row.getInt(2));
                assertEquals("COMPLETED", row.getString(3));
            }
        }
    }

    /**
     * An instance that died after it had completed the object and written the manifest, but before it recorded the
     * snapshot Completed: the next attempt removes both and stores the backup once, under its own name.
     */
    @Test
    void aBackupADeadInstanceStoredButNeverRecordedIsRemovedAndStoredOnce() throws Exception {
        String cluster = "crash2-" + UUID.randomUUID().toString().substring(0, 8);
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        awaitClusterKnown(cluster);
        String snapshotId = "dead" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Instant startedAt = Instant.now().minus(Duration.ofMinutes(2));
        String firstKey = ObjectLayout.full("lifeboat/" + cluster, startedAt, snapshotId, 1, Compression.NONE, null);
        byte[] leftover = "the first attempt's object".getBytes(StandardCharsets.UTF_8);
        support.minio().putObject(PutObjectArgs.builder().bucket(s3.bucket()).object(firstKey)
                .stream(new ByteArrayInputStream(leftover), leftover.length, -1).build());
        support.minio().putObject(PutObjectArgs.builder().bucket(s3.bucket()).object(ObjectLayout.manifestOf(firstKey))
                .stream(new ByteArrayInputStream(leftover), leftover.length, -1).build());
        String requestId = "req-" + UUID.randomUUID();
        deadAttempt(cluster, snapshotId, requestId, startedAt, firstKey, "an-upload-that-completed");
        support.request(cluster, requestId);

        LifeboatEvent outcome = support.awaitOutcome(requestId);

        assertTrue(outcome instanceof SnapshotCompleted, "completed: " + outcome);
        SnapshotCompleted completed = (SnapshotCompleted) outcome;
        assertEquals(SnapshotTestSupport.stored(completed), support.objectsUnder("lifeboat/" + cluster + "/"),
                "the first attempt's object and manifest are gone; the backup is stored once");
        JsonNode manifest = EventCodec.json().readTree(support.minio().getObject(GetObjectArgs.builder().bucket(s3.bucket())
                .object(ObjectLayout.manifestOf(completed.objectKey())).build()).readAllBytes());
        assertEquals(completed.revision(), manifest.path("revision").asLong());
        assertEquals(completed.storedSha256(), manifest.path("storedSha256").asText());
    }

    /** A RUNNING entry as a killed instance leaves it: its claim lapsed a minute ago, its upload recorded. */
    private void deadAttempt(String cluster, String snapshotId, String requestId, Instant startedAt, String key, String uploadId)
            throws Exception {
        try (Connection connection = db.getConnection(); PreparedStatement insert = connection.prepareStatement("""
                insert into snapshot (id, request_id, cluster_id, kind, phase, requested_at, started_at, attempts, claimed_by,
                                      claimed_until, bucket, staging_key, upload_id)
                values (?, ?, ?, 'FULL', 'RUNNING', ?, ?, 1, 'killed-instance', now() - interval '1 minute', ?, ?, ?)""")) {
            insert.setString(1, snapshotId);
            insert.setString(2, requestId);
            insert.setString(3, cluster);
            insert.setObject(4, java.time.OffsetDateTime.ofInstant(startedAt, java.time.ZoneOffset.UTC));
            insert.setObject(5, java.time.OffsetDateTime.ofInstant(startedAt, java.time.ZoneOffset.UTC));
            insert.setString(6, s3.bucket());
            insert.setString(7, key);
            insert.setString(8, uploadId);
            insert.executeUpdate();
        }
    }

    @Test
    void requestsQueuedWhileTheClusterIsPausedWaitAndBecomeOneSnapshotAfterResume() throws Exception {
        String cluster = "paused-" + UUID.randomUUID().toString().substring(0, 8);
        support.register(cluster, SnapshotTestSupport.spec(etcdEndpoints, null));
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new ClusterPaused(cluster, "restore-under-test"));
        awaitRow("select count(*) from cluster where id = ? and paused", cluster, 1);
        List<String> requests = List.of(support.request(cluster), support.request(cluster), support.request(cluster));
        awaitRow("select count(*) from snapshot where cluster_id = ? and phase = 'PENDING'", cluster, 3);
        // Ten claim rounds (poll interval 200 ms) pass: a paused cluster's requests are not taken.
        Thread.sleep(2000);
        assertEquals(3, count("select count(*) from snapshot where cluster_id = ? and phase = 'PENDING' and started_at is null", cluster),
                "no snapshot starts while a restore has the cluster paused");

        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new ClusterResumed(cluster, "restore-under-test", null, null));

        SnapshotCompleted completed = support.awaitCompleted(requests.get(0));
        List<SnapshotCoalesced> coalesced = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && EventType.SNAPSHOT_COALESCED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 2, WAIT).stream()
                .map(r -> (SnapshotCoalesced) EventCodec.decode(r).payload()).toList();
        assertEquals(List.of(requests.get(1), requests.get(2)), coalesced.stream().map(SnapshotCoalesced::requestId).sorted(
                java.util.Comparator.comparing(requests::indexOf)).toList(), "the two later requests are answered by the one snapshot");
        assertTrue(coalesced.stream().allMatch(c -> c.intoSnapshotId().equals(completed.snapshotId())), coalesced.toString());
        assertEquals(SnapshotTestSupport.stored(completed), support.objectsUnder("lifeboat/" + cluster + "/"), "one backup, one object and its manifest");
        assertEquals(1, count("select count(*) from snapshot where cluster_id = ? and started_at is not null", cluster), "one snapshot ran");
        assertEquals(2, count("select count(*) from snapshot where cluster_id = ? and phase = 'COALESCED' and coalesced_into = '"
                + completed.snapshotId() + "'", cluster));
    }

    private void awaitRow(String countQuery, String cluster, int expected) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (count(countQuery, cluster) != expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("never " + expected + ": " + countQuery);
            }
            Thread.sleep(100);
        }
    }

    private int count(String countQuery, String cluster) throws Exception {
        try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(countQuery)) {
            query.setString(1, cluster);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    private void awaitClusterKnown(String cluster) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try (Connection connection = db.getConnection();
                    PreparedStatement query = connection.prepareStatement("select count(*) from cluster where id = ?")) {
                query.setString(1, cluster);
                try (ResultSet row = query.executeQuery()) {
                    row.next();
                    if (row.getInt(1) == 1) {
                        return;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("cluster " + cluster + " was never registered");
    }

    private void fillEtcd(String cluster, int mebibytes) throws Exception {
        Random random = new Random(42);
        try (Client etcd = Client.builder().endpoints(etcdEndpoints).build()) {
            for (int i = 0; i < mebibytes; i++) {
                byte[] value = new byte[1 << 20];
                random.nextBytes(value);
                etcd.getKVClient().put(ByteSequence.from(("/recovery-it/" + cluster + "/" + i).getBytes(StandardCharsets.UTF_8)),
                        ByteSequence.from(value)).get(30, TimeUnit.SECONDS);
            }
        }
    }
}
