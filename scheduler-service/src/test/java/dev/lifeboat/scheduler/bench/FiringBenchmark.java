package dev.lifeboat.scheduler.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;

/**
 * {@code make bench-scheduler}: one scheduler replica (as built, make run's JVM options) with 10,000
 * policies {@code @every 1m} on 100 clusters; for one minute slot, the delay from the slot to each
 * SnapshotRequested's emit time (its ce_time), p50/p99/max, and the emit throughput.
 */
public final class FiringBenchmark {

    private static final int CLUSTERS = 100;
    private static final int POLICIES_PER_CLUSTER = 100;

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path dir = repo.resolve("scheduler-service/target/firing-benchmark");
        Dirs.fresh(dir); // a fresh database each run
        try (LocalStack stack = LocalStack.start(StackOptions.forTests(dir.resolve("stack"), Topics.all()));
                QuarkusService scheduler = QuarkusService.startOnFreePort(repo, "scheduler-service", "scheduler-service", stack.quarkusConfig(),
                        dir.resolve("run")).awaitReady(Duration.ofSeconds(120))) {
            HttpClient http = HttpClient.newHttpClient();
            PeakRss rss = PeakRss.of(scheduler.pid());
            token = stack.adminToken();
            System.out.println("creating " + CLUSTERS * POLICIES_PER_CLUSTER + " policies @every 1m ...");
            createPolicies(http, scheduler.url());
            Instant slot = Instant.ofEpochSecond((Instant.now().getEpochSecond() / 60 + 1) * 60);
            System.out.println("measuring the slot of " + slot + " ...");
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), slot).toMillis()) + 45_000);
            String suffix = "-" + slot.getEpochSecond();
            List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(stack.kafka().bootstrapServers(), Topics.SNAPSHOT_REQUESTS,
                    r -> EventType.SNAPSHOT_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                            && new String(r.value(), StandardCharsets.UTF_8).contains(suffix + "\""),
                    CLUSTERS * POLICIES_PER_CLUSTER, Duration.ofSeconds(60));
            List<Long> delays = new ArrayList<>();
            Instant last = slot;
            for (ConsumerRecord<String, byte[]> record : records) {
                Instant emitted = Instant.parse(TopicProbe.header(record, EventCodec.H_TIME));
                delays.add(Duration.between(slot, emitted).toMillis());
                last = emitted.isAfter(last) ? emitted : last;
            }
            Collections.sort(delays);
            if (delays.isEmpty()) {
                throw new IllegalStateException("no SnapshotRequested for the slot " + slot);
            }
            System.out.printf("RESULT %d of %d slots fired; delay slot → emit: p50 %d ms, p99 %d ms, max %d ms (goal p99 < 1000 ms)%n",
                    delays.size(), CLUSTERS * POLICIES_PER_CLUSTER, delays.get(delays.size() / 2),
                    delays.get((int) Math.ceil(delays.size() * 0.99) - 1), delays.get(delays.size() - 1));
            double seconds = Math.max(0.001, Duration.between(slot, last).toMillis() / 1000.0);
            System.out.printf("RESULT throughput: %.0f SnapshotRequested/s%n", delays.size() / seconds);
            long p99 = delays.get((int) Math.ceil(delays.size() * 0.99) - 1);
            BenchTable.row("scheduler: " + CLUSTERS * POLICIES_PER_CLUSTER + " policies firing at one slot, p99 slot to emit", p99 + " ms",
                    "goal 1000 ms", p99 / 1000.0, "< 1000 ms", p99 < 1000 && delays.size() == CLUSTERS * POLICIES_PER_CLUSTER);
            rss.close();
            BenchTable.memory("scheduler-service", "heaviest benchmark", rss.peak());
        }
    }

    /** The clusters one by one, their policies eight at a time. */
    private static void createPolicies(HttpClient http, String url) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int c = 0; c < CLUSTERS; c++) {
                String cluster = "bench-" + c;
                post(http, url + "/api/v1/clusters", "{\"id\": \"" + cluster + "\", \"endpoints\": [\"http://127.0.0.1:2379\"]}");
                for (int p = 0; p < POLICIES_PER_CLUSTER; p++) {
                    String body = "{\"id\": \"p" + p + "\", \"schedule\": \"@every 1m\"}";
                    calls.add(pool.submit(() -> post(http, url + "/api/v1/clusters/" + cluster + "/policies", body)));
                }
            }
            for (Future<?> call : calls) {
                call.get();
            }
        } finally {
            // A failed call must not leave the pool's threads keeping this JVM alive.
            pool.shutdownNow();
        }
    }

    /** The admin token of the benchmark's stack. */
    private static String token;

    private static Void post(HttpClient http, String url, String json) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return null;
    }
}
