package dev.lifeboat.snapshot;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.RestAssuredTokens;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.QuarkusService;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.restassured.path.json.JsonPath;

/**
 * Two snapshot-service processes (the packaged service) share the capture of two clusters whose keys fall
 * into different halves of the cluster topic's partitions: with one instance it captures both; a second
 * instance takes one of them over through the Kafka rebalance; when the second stops, the first takes it
 * back. Through all of it each cluster's chain stays one chain, without a hole or an overlap, and holds
 * every write. A failsafe test: it needs the jar.
 */
class DeltaRebalancePackagedIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final List<QuarkusService> STARTED = new ArrayList<>();

    @AfterAll
    static void stop() {
        STARTED.forEach(QuarkusService::close);
        LocalStack.stopShared();
    }

    @Test
    void aSecondReplicaTakesOverHalfTheWatchersAndHandsThemBackWithoutAHole() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        RestAssuredTokens.useAdminTokenOf(stack);
        String bootstrap = stack.kafka().bootstrapServers();
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Map<String, String> config = new java.util.HashMap<>(stack.quarkusConfig());
        config.put("lifeboat.capture.check-interval", "500ms");
        QuarkusService first = start(repo, "snapshot-a", config, stack);
        String low = clusterInPartitions(0, 2);
        String high = clusterInPartitions(3, 5);
        String endpoints = stack.etcd().endpoints();
        for (String cluster : List.of(low, high)) {
            TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new ClusterRegistered(cluster, SnapshotTestSupport.spec(endpoints, null)));
            TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new BackupPolicySet(cluster, "deltas", "@every 1s", "UTC", SnapshotKind.DELTA,
                    null, null, 1L << 20));
            serveBaseRequest(bootstrap, cluster);
        }
        try (Client etcd = Client.builder().endpoints(endpoints.split(",")).build()) {
            awaitWatchedBy(first, low);
            awaitWatchedBy(first, high);
            long one = write(etcd, "one");
            awaitDeltasUpTo(first, low, one);
            awaitDeltasUpTo(first, high, one);

            QuarkusService second = start(repo, "snapshot-b", config, stack);
            Instant deadline = Instant.now().plus(WAIT);
            while (watchers(second, low, high).isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
            }
            List<String> moved = watchers(second, low, high);
            assertEquals(1, moved.size(), "the second instance captures one of the two clusters: " + moved);
            String stayed = moved.get(0).equals(low) ? high : low;
            awaitWatchedBy(first, stayed);
            assertTrue(live(first, moved.get(0)) == null, "the first instance stopped watching " + moved.get(0));
            long two = write(etcd, "two");
            awaitDeltasUpTo(second, moved.get(0), two);
            awaitDeltasUpTo(first, stayed, two);

            second.close();
            STARTED.remove(second);
            awaitWatchedBy(first, moved.get(0));
            long three = write(etcd, "three");
            for (String cluster : List.of(low, high)) {
                List<JsonPath> deltas = awaitDeltasUpTo(first, cluster, three);
                String chain = deltas.get(0).getString("chainId");
                long expected = deltas.get(0).getLong("firstRevision");
                for (JsonPath delta : deltas) {
                    assertEquals(chain, delta.getString("chainId"), cluster + ": one chain through both rebalances");
                    assertEquals(expected, delta.getLong("firstRevision"), cluster + ": no hole, no overlap");
                    expected = delta.getLong("revision") + 1;
                }
                assertTrue(expected > three, cluster + " holds every write up to revision " + three);
            }
        }
    }

    private static QuarkusService start(Path repo, String name, Map<String, String> config, LocalStack stack) {
        QuarkusService service = QuarkusService.startOnFreePort(repo, "snapshot-service", name, config, stack.options().runDir())
                .awaitReady(Duration.ofSeconds(120));
        STARTED.add(service);
        return service;
    }

    /** A new cluster id whose key the producer puts into a partition from {@code from} to {@code to}. */
    private static String clusterInPartitions(int from, int to) {
        while (true) {
            String id = "rebalance-" + UUID.randomUUID().toString().substring(0, 8);
            int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % Topics.PARTITIONS;
            if (partition >= from && partition <= to) {
                return id;
            }
        }
    }

    /** Answers the capture's request for a base full snapshot as the scheduler would, and waits for it. */
    private static void serveBaseRequest(String bootstrap, String cluster) {
        var requests = TopicProbe.await(bootstrap, Topics.BACKUP_REQUESTS, r -> cluster.equals(r.key())
                && EventType.BACKUP_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT);
        assertEquals(1, requests.size(), "the capture of " + cluster + " asked for a base");
        BackupRequested request = (BackupRequested) EventCodec.decode(requests.get(0)).payload();
        TestEvents.publish(bootstrap, SnapshotTestSupport.SOURCE, new SnapshotRequested("backup-" + request.requestId(), cluster, SnapshotKind.FULL,
                request.reason(), null, Instant.now()));
    }

    private static long write(Client etcd, String round) throws Exception {
        long revision = 0;
        for (int i = 0; i < 20; i++) {
            revision = etcd.getKVClient().put(ByteSequence.from("/rebalance/" + round + "/" + i, StandardCharsets.UTF_8),
                    ByteSequence.from("v" + i, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        }
        return revision;
    }

    private static Map<String, Object> live(QuarkusService service, String cluster) {
        return given().baseUri(service.url()).get("/api/v1/clusters/" + cluster + "/delta-capture").then().statusCode(200).extract().jsonPath()
                .getMap("live");
    }

    /** Which of the clusters an instance captures. */
    private static List<String> watchers(QuarkusService service, String... clusters) {
        List<String> watched = new ArrayList<>();
        for (String cluster : clusters) {
            Map<String, Object> live = live(service, cluster);
            if (live != null && "WATCHING".equals(live.get("state"))) {
                watched.add(cluster);
            }
        }
        return watched;
    }

    private static void awaitWatchedBy(QuarkusService service, String cluster) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            Map<String, Object> live = live(service, cluster);
            if (live != null && "WATCHING".equals(live.get("state"))) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(service.name() + " does not watch " + cluster + ": " + live);
            }
            Thread.sleep(200);
        }
    }

    private static List<JsonPath> awaitDeltasUpTo(QuarkusService service, String cluster, long revision) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            List<Map<String, Object>> listed = given().baseUri(service.url()).queryParam("cluster", cluster).queryParam("kind", "DELTA")
                    .queryParam("limit", 1000).get("/api/v1/snapshots").then().statusCode(200).extract().jsonPath().getList("$");
            List<JsonPath> deltas = listed.stream().map(m -> new JsonPath(EventCodec.json().valueToTree(m).toString()))
                    .sorted(Comparator.comparingLong(d -> d.getLong("firstRevision"))).toList();
            if (!deltas.isEmpty() && deltas.get(deltas.size() - 1).getLong("revision") >= revision) {
                assertNotNull(deltas.get(0).getString("chainId"));
                return deltas;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no delta of " + cluster + " reached revision " + revision + ": " + listed);
            }
            Thread.sleep(200);
        }
    }
}
