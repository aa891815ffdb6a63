package dev.lifeboat.retention.bench;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;

/**
 * {@code make bench-retention}: one cluster with 10,000 Completed snapshots (objects in the local S3),
 * then a policy keepLast 1 and {@code POST /retention/run} on the built retention-service: the time to
 * reconcile and prune 9,999 of them (multi-object deletes, catalog, events through the outbox), as a
 * ratio to the goal of 30 s; and when the last SnapshotDeleted reached Kafka.
 */
public final class PruneBenchmark {

    private static final int SNAPSHOTS = 10_000;
    private static final double GOAL_SECONDS = 30;

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path dir = Dirs.fresh(repo.resolve("retention-service/target/prune-benchmark"));
        try (LocalStack stack = LocalStack.start(StackOptions.forTests(dir.resolve("stack-" + UUID.randomUUID().toString().substring(0, 6)),
                Topics.all()));
                QuarkusService retention = QuarkusService.startOnFreePort(repo, "retention-service", "retention-service", stack.quarkusConfig(),
                        stack.options().runDir()).awaitReady(Duration.ofSeconds(120))) {
            PeakRss rss = PeakRss.of(retention.pid());
            String cluster = "bench";
            String bucket = StackOptions.BUCKET;
            MinioClient s3 = MinioClient.builder().endpoint(stack.s3().endpoint()).region("us-east-1")
                    .credentials(stack.s3().accessKey(), stack.s3().secretKey()).build();
            Instant start = Instant.now();
            ExecutorService uploads = Executors.newFixedThreadPool(16);
            List<Future<?>> pending = new ArrayList<>();
            for (int i = 0; i < SNAPSHOTS; i++) {
                String key = "lifeboat/" + cluster + "/full/" + String.format("s%05d", i) + ".db";
                pending.add(uploads.submit(() -> {
                    s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new ByteArrayInputStream(new byte[64]), 64, -1).build());
                    return null;
                }));
            }
            for (Future<?> future : pending) {
                future.get();
            }
            uploads.shutdown();
            System.out.printf("uploaded %d objects in %.1f s%n", SNAPSHOTS, Duration.between(start, Instant.now()).toMillis() / 1000.0);

            String bootstrap = stack.kafka().bootstrapServers();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", 20),
                    new StringSerializer(), new ByteArraySerializer())) {
                send(producer, new ClusterRegistered(cluster, new ClusterSpec(null, List.of("http://127.0.0.1:2379"), null, null, null, List.of(), false, false)));
                Instant now = Instant.now();
                for (int i = 0; i < SNAPSHOTS; i++) {
                    String id = String.format("s%05d", i);
                    Instant at = now.minusSeconds(SNAPSHOTS - i);
                    send(producer, new SnapshotCompleted(id, "req-" + id, cluster, SnapshotKind.FULL, i, null, bucket,
                            "lifeboat/" + cluster + "/full/" + id + ".db", 64, 64, "a".repeat(64), "b".repeat(64), "none", null, "3.4", at, at, null, null));
                }
                producer.flush();
            }
            awaitRows(stack, "select count(*) from retention.snapshot", SNAPSHOTS);
            HttpClient http = HttpClient.newHttpClient();
            token = stack.adminToken();
            // the runs the completions asked for (nothing to delete yet: no policy) end; this one waits for them
            Thread.sleep(3000);
            run(http, retention, cluster);
            Thread.sleep(3000);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(),
                    new ByteArraySerializer())) {
                send(producer, new BackupPolicySet(cluster, "p1", "@daily", "UTC", SnapshotKind.FULL, null, new RetentionSpec(1, null, null, null), null));
            }
            awaitRows(stack, "select count(*) from retention.policy", 1);

            long begin = System.nanoTime();
            int deleted = run(http, retention, cluster);
            double seconds = (System.nanoTime() - begin) / 1e9;
            int left = 0;
            for (var ignored : s3.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix("lifeboat/" + cluster + "/").recursive(true).build())) {
                left++;
            }
            int published = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                    && EventType.SNAPSHOT_DELETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), deleted, Duration.ofMinutes(3)).size();
            double allPublished = (System.nanoTime() - begin) / 1e9;
            System.out.printf("run: %d deleted, %d objects left, in %.2f s; all %d SnapshotDeleted on Kafka after %.2f s%n", deleted, left,
                    seconds, published, allPublished);
            System.out.printf("RESULT prune of %d snapshots: %.2f s, ratio to the goal of 30 s: %.2f%n", deleted, seconds, seconds / GOAL_SECONDS);
            BenchTable.row("retention: prune " + deleted + " of " + SNAPSHOTS + " snapshots of one cluster", String.format(Locale.ROOT, "%.2f s", seconds),
                    "goal 30 s", seconds / GOAL_SECONDS, "<= 30 s", seconds <= GOAL_SECONDS && deleted == SNAPSHOTS - 1 && left == 1);
            rss.close();
            BenchTable.memory("retention-service", "heaviest benchmark", rss.peak());
        }
    }

    /** The admin token of the benchmark's stack. */
    private static String token;

    /** POST /retention/run; returns how many snapshots it deleted. */
    private static int run(HttpClient http, QuarkusService retention, String cluster) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(retention.url() + "/api/v1/clusters/" + cluster
                + "/retention/run")).header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("run answered " + response.statusCode() + ": " + response.body());
        }
        return EventCodec.json().readTree(response.body()).get("deleted").size();
    }

    private static void send(KafkaProducer<String, byte[]> producer, LifeboatEvent event) {
        EventType type = EventType.of(event);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(type.topic(), event.partitionKey(), EventCodec.encode(event));
        EventCodec.writeHeaders(record.headers(), UUID.randomUUID(), type, "benchmark", event.clusterId(), Instant.now());
        producer.send(record);
    }

    private static void awaitRows(LocalStack stack, String sql, int wanted) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        try (Connection connection = DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().user(), stack.postgres().password())) {
            while (Instant.now().isBefore(deadline)) {
                try (ResultSet row = connection.createStatement().executeQuery(sql)) {
                    row.next();
                    if (row.getInt(1) >= wanted) {
                        return;
                    }
                }
                Thread.sleep(500);
            }
        }
        throw new IllegalStateException("timed out waiting for " + sql);
    }
}
