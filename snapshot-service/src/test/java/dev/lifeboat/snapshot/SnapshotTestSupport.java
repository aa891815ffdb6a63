package dev.lifeboat.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotFailed;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;

/** What snapshot-service's integration tests do as the scheduler would, and how they look at the results. */
final class SnapshotTestSupport {

    static final String SOURCE = "lifeboat/scheduler-service";
    private static final Duration WAIT = Duration.ofSeconds(90);

    private final String bootstrap;
    private final S3Config s3;
    private final AgroalDataSource db;

    SnapshotTestSupport(String bootstrap, S3Config s3, AgroalDataSource db) {
        this.bootstrap = bootstrap;
        this.s3 = s3;
        this.db = db;
    }

    static String cluster(String purpose) {
        return purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A cluster at plain-http test endpoints; with credentials it allows them there (allowInsecure), as only a test should. */
    static ClusterSpec spec(String endpoints, ClusterSpec.Auth auth) {
        return new ClusterSpec("test", List.of(endpoints.split(",")), null, auth, null, List.of(), false, auth != null);
    }

    /**
     * Publishes a ClusterRegistered and waits until the service has stored that spec, as the scheduler's
     * registration comes before its first request: a request made before would only test the unknown-cluster grace.
     */
    void register(String cluster, ClusterSpec spec) {
        TestEvents.publish(bootstrap, SOURCE, new ClusterRegistered(cluster, spec));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!stored(cluster, spec)) {
            assertTrue(System.nanoTime() < deadline, "snapshot-service stored the registration of " + cluster + " within " + WAIT);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private boolean stored(String cluster, ClusterSpec spec) {
        try (Connection connection = db.getConnection();
                PreparedStatement query = connection.prepareStatement("select spec from cluster where id = ? and not deleted")) {
            query.setString(1, cluster);
            try (ResultSet row = query.executeQuery()) {
                return row.next() && spec.equals(EventCodec.json().readValue(row.getString(1), ClusterSpec.class));
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not read snapshot-service's cluster table", e);
        }
    }

    /** Publishes a SnapshotRequested with a fresh request id; returns the id. */
    String request(String cluster) {
        return request(cluster, "req-" + UUID.randomUUID());
    }

    String request(String cluster, String requestId) {
        TestEvents.publish(bootstrap, SOURCE, new SnapshotRequested(requestId, cluster, SnapshotKind.FULL, "test", null, Instant.now()));
        return requestId;
    }

    /** The SnapshotCompleted or SnapshotFailed of a request. */
    LifeboatEvent awaitOutcome(String requestId) {
        List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> {
            String type = TopicProbe.header(r, EventCodec.H_TYPE);
            return (EventType.SNAPSHOT_COMPLETED.ceType().equals(type) || EventType.SNAPSHOT_FAILED.ceType().equals(type))
                    && new String(r.value(), StandardCharsets.UTF_8).contains("\"requestId\":\"" + requestId + "\"");
        }, 1, WAIT);
        assertEquals(1, records.size(), "an outcome for " + requestId);
        return EventCodec.decode(records.get(0)).payload();
    }

    SnapshotCompleted awaitCompleted(String requestId) {
        LifeboatEvent outcome = awaitOutcome(requestId);
        assertTrue(outcome instanceof SnapshotCompleted, "completed, not " + outcome);
        return (SnapshotCompleted) outcome;
    }

    SnapshotFailed awaitFailed(String requestId) {
        LifeboatEvent outcome = awaitOutcome(requestId);
        assertTrue(outcome instanceof SnapshotFailed, "failed, not " + outcome);
        return (SnapshotFailed) outcome;
    }

    /** Events of one type about a cluster, read for {@code wait}. */
    List<ConsumerRecord<String, byte[]>> snapshotEvents(String cluster, EventType type, Duration wait) {
        return TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS,
                r -> cluster.equals(r.key()) && type.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 100, wait);
    }

    MinioClient minio() {
        return MinioClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
    }

    long objectSize(String key) throws Exception {
        return minio().statObject(io.minio.StatObjectArgs.builder().bucket(s3.bucket()).object(key).build()).size();
    }

    /** What a stored backup is in the bucket: its object and the manifest beside it, in listing order. */
    static List<String> stored(SnapshotCompleted completed) {
        return List.of(completed.objectKey(), ObjectLayout.manifestOf(completed.objectKey()));
    }

    List<String> objectsUnder(String prefix) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> item : minio().listObjects(ListObjectsArgs.builder().bucket(s3.bucket()).prefix(prefix)
                .recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }
}
