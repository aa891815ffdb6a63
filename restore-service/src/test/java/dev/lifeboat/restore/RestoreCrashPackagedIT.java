package dev.lifeboat.restore;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.RestAssuredTokens;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/**
 * restore-service killed (SIGKILL) in the middle of RESTORING: another instance takes the restore over
 * once the claim lapses and finishes it with the right data. Runs the packaged service twice, so it is
 * a failsafe test (after {@code package}). Also: a packaged service stops on SIGTERM promptly and cleanly.
 */
class RestoreCrashPackagedIT {

    private static final int KEYS = 20_000;
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** scheduler-service and snapshot-service, shared by the tests. */
    private static final List<QuarkusService> STARTED = new ArrayList<>();
    private static final List<EtcdAgents> AGENTS = new ArrayList<>();
    private static Map<String, String> peers;

    /**
     * The restore-service instances a test started: stopped at its end, so that no instance of one
     * test claims (and runs at its own speed) the restore of the next.
     */
    private final List<QuarkusService> instances = new ArrayList<>();

    @AfterEach
    void stopInstances() {
        instances.forEach(QuarkusService::close);
    }

    @AfterAll
    static void stop() {
        STARTED.forEach(QuarkusService::close);
        AGENTS.forEach(EtcdAgents::close);
        LocalStack.stopShared();
    }

    /** The stack with scheduler-service and snapshot-service, started once for both tests; a copy of the configuration. */
    private static synchronized Map<String, String> peers(LocalStack stack) {
        if (peers == null) {
            peers = RestoreStackResource.startPeers(stack, STARTED);
        }
        return new HashMap<>(peers);
    }

    @Test
    void aRestoreKilledWhileRestoringIsFinishedByTheNextInstance() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        RestAssuredTokens.useAdminTokenOf(stack);
        Map<String, String> config = peers(stack);
        String scheduler = config.remove("test.scheduler.url");
        String endpoints = config.remove("local-stack.etcd-endpoints");
        config.put("lifeboat.restore.claim-duration", "5s");
        // the killed instance keeps its partitions until its Kafka session times out (45 s by default)
        config.put("mp.messaging.connector.smallrye-kafka.session.timeout.ms", "10000");
        config.put("mp.messaging.connector.smallrye-kafka.heartbeat.interval.ms", "3000");
        Map<String, String> slow = new HashMap<>(config);
        // one key a transaction, one at a time: 20,000 keys take long enough that the kill lands in the middle on any machine
        slow.put("lifeboat.restore.txn-max-ops", "1");
        slow.put("lifeboat.restore.txns-in-flight", "1");
        slow.put("lifeboat.restore.work-dir", stack.options().runDir().resolve("restore-a").toString());
        Path repo = Path.of("..").toAbsolutePath().normalize();
        QuarkusService first = start(repo, "restore-a", slow, stack);

        String cluster = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        String root = "/" + cluster + "/";
        given().baseUri(scheduler).contentType(ContentType.JSON).body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + endpoints + "\"]}")
                .post("/api/v1/clusters").then().statusCode(201);
        try (Client etcd = Client.builder().endpoints(endpoints.split(",")).build()) {
            TreeMap<String, String> original = fill(etcd, root);
            given().baseUri(scheduler).contentType(ContentType.JSON).body("{}").post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202);
            SnapshotCompleted snapshot = (SnapshotCompleted) EventCodec.decode(TopicProbe.await(stack.kafka().bootstrapServers(),
                    Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                            && EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
            etcd.getKVClient().delete(bytes(root), DeleteOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS);

            String id = request(first, "{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"keyPrefix\": \""
                    + root + "\"}");
            awaitProgress(first, id);
            ProcessHandle.of(first.pid()).ifPresent(ProcessHandle::destroyForcibly);
            Thread.sleep(500);
            long halfway = etcd.getKVClient().get(bytes(root), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).withCountOnly(true).build())
                    .get(30, TimeUnit.SECONDS).getCount();
            assertTrue(halfway > 0 && halfway < KEYS, "killed in the middle: " + halfway + " of " + KEYS + " keys back");

            config.put("lifeboat.restore.work-dir", stack.options().runDir().resolve("restore-b").toString());
            QuarkusService second = start(repo, "restore-b", config, stack);
            JsonPath view = awaitEnd(second, id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            TreeMap<String, String> restored = new TreeMap<>();
            etcd.getKVClient().get(bytes(root), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS)
                    .getKvs().forEach(kv -> restored.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8)));
            assertEquals(original, restored, "every key and value of the snapshot, nothing else");
            assertEquals(KEYS - halfway, view.getLong("progress.keysPut"), "the second instance put only what was missing");
        }
    }

    @Test
    void aReplaceWhoseServiceWasKilledWhileAgentsWorkedIsFinishedFromTheirAnswers() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        RestAssuredTokens.useAdminTokenOf(stack);
        Map<String, String> config = peers(stack);
        String scheduler = config.remove("test.scheduler.url");
        String snapshotService = config.remove("test.snapshot.url");
        config.remove("local-stack.etcd-endpoints");
        config.put("lifeboat.restore.claim-duration", "5s");
        config.put("mp.messaging.connector.smallrye-kafka.session.timeout.ms", "10000");
        config.put("mp.messaging.connector.smallrye-kafka.heartbeat.interval.ms", "3000");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        // An agent whose restore tool takes 8 s more than the release's own: the service is killed while it works.
        Path slowTool = slowRestoreTool(stack, "slow-restore-tool.sh", 8);
        String cluster = "replace-" + UUID.randomUUID().toString().substring(0, 8);
        EtcdCluster.Member member = new EtcdCluster.Member(cluster + "-0", Ports.free(), Ports.free(),
                stack.options().runDir().resolve("agents").resolve(cluster + "-0"));
        AGENTS.add(EtcdAgents.start(repo, cluster, EtcdCluster.planned(List.of(member)), stack, snapshotService, i -> Ports.free(), m -> EtcdAgents.restoreToolConfig(stack.options().etcdRelease(), slowTool)));
        config.put("lifeboat.restore.work-dir", stack.options().runDir().resolve("replace-a").toString());
        QuarkusService first = start(repo, "replace-a", config, stack);
        given().baseUri(scheduler).contentType(ContentType.JSON).body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + member.clientUrl()
                + "\"], \"members\": [{\"name\": \"" + member.name() + "\", \"peerUrl\": \"" + member.peerUrl() + "\", \"clientUrl\": \""
                + member.clientUrl() + "\"}]}").post("/api/v1/clusters").then().statusCode(201);
        try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
            for (int i = 0; i < 50; i++) {
                etcd.getKVClient().put(bytes("/r/" + i), bytes("snapshot-" + i)).get(10, TimeUnit.SECONDS);
            }
            given().baseUri(scheduler).contentType(ContentType.JSON).body("{}").post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202);
            SnapshotCompleted snapshot = (SnapshotCompleted) EventCodec.decode(TopicProbe.await(stack.kafka().bootstrapServers(),
                    Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                            && EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
            for (int i = 0; i < 50; i++) {
                etcd.getKVClient().put(bytes("/r/" + i), bytes("later-" + i)).get(10, TimeUnit.SECONDS);
            }

            String id = request(first, "{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
            Instant deadline = Instant.now().plus(WAIT);
            while (given().baseUri(first.url()).get("/api/v1/restores/" + id).then().extract().jsonPath().get("members") == null) {
                assertTrue(Instant.now().isBefore(deadline), "the RestoreMember commands never went out");
                Thread.sleep(50);
            }
            ProcessHandle.of(first.pid()).ifPresent(ProcessHandle::destroyForcibly);

            config.put("lifeboat.restore.work-dir", stack.options().runDir().resolve("replace-b").toString());
            QuarkusService second = start(repo, "replace-b", config, stack);
            JsonPath view = awaitEnd(second, id);
            assertEquals("COMPLETED", view.getString("phase"), view.prettify());
            assertEquals("RESTORED", view.getString("members[0].state"));
            for (int i = 0; i < 50; i++) {
                assertEquals("snapshot-" + i, etcd.getKVClient().get(bytes("/r/" + i)).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue()
                        .toString(StandardCharsets.UTF_8));
            }
            // The relay may publish the command's outbox row again if the kill landed between Kafka's ack and
            // marking the row (at least once; the agent applies an event id once). A command sent again would have a new id.
            List<String> commandIds = TopicProbe.await(stack.kafka().bootstrapServers(), Topics.AGENT_COMMANDS,
                    r -> (cluster + "/" + member.name()).equals(r.key()), 2, Duration.ofSeconds(5)).stream()
                    .map(r -> TopicProbe.header(r, EventCodec.H_ID)).distinct().toList();
            assertEquals(1, commandIds.size(), "the command went out once; the second instance waited for the answer instead of sending it again");
        }
    }

    @Test
    void anAgentKilledWhilePreparingUndoesItsStepWhenItStartsAgainAndTheRestoreFailsCleanly() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        RestAssuredTokens.useAdminTokenOf(stack);
        Map<String, String> config = peers(stack);
        String scheduler = config.remove("test.scheduler.url");
        String snapshotService = config.remove("test.snapshot.url");
        config.remove("local-stack.etcd-endpoints");
        config.put("lifeboat.restore.work-dir", stack.options().runDir().resolve("agent-kill").toString());
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path slowTool = slowRestoreTool(stack, "slower-restore-tool.sh", 30);
        String cluster = "agentkill-" + UUID.randomUUID().toString().substring(0, 8);
        EtcdCluster.Member member = new EtcdCluster.Member(cluster + "-0", Ports.free(), Ports.free(),
                stack.options().runDir().resolve("agents").resolve(cluster + "-0"));
        EtcdAgents agents = EtcdAgents.start(repo, cluster, EtcdCluster.planned(List.of(member)), stack, snapshotService, i -> Ports.free(), m -> EtcdAgents.restoreToolConfig(stack.options().etcdRelease(), slowTool));
        AGENTS.add(agents);
        QuarkusService service = start(repo, "agent-kill", config, stack);
        given().baseUri(scheduler).contentType(ContentType.JSON).body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + member.clientUrl()
                + "\"], \"members\": [{\"name\": \"" + member.name() + "\", \"peerUrl\": \"" + member.peerUrl() + "\", \"clientUrl\": \""
                + member.clientUrl() + "\"}]}").post("/api/v1/clusters").then().statusCode(201);
        try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
            for (int i = 0; i < 20; i++) {
                etcd.getKVClient().put(bytes("/k/" + i), bytes("snapshot-" + i)).get(10, TimeUnit.SECONDS);
            }
            given().baseUri(scheduler).contentType(ContentType.JSON).body("{}").post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202);
            SnapshotCompleted snapshot = (SnapshotCompleted) EventCodec.decode(TopicProbe.await(stack.kafka().bootstrapServers(),
                    Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                            && EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT).get(0)).payload();
            for (int i = 0; i < 20; i++) {
                etcd.getKVClient().put(bytes("/k/" + i), bytes("current-" + i)).get(10, TimeUnit.SECONDS);
            }
            String id = request(service, "{\"cluster\": \"" + cluster + "\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
            String agent = agents.agents().get(0).url();
            Instant deadline = Instant.now().plus(WAIT);
            while (!"PREPARING".equals(given().baseUri(agent).get("/api/v1/member").then().extract().jsonPath().getString("restores[0].step"))) {
                assertTrue(Instant.now().isBefore(deadline), "the agent never started the restore");
                Thread.sleep(100);
            }
            Thread.sleep(1000);
            agents.kill(0);
            assertEquals("current-3", value(etcd, "/k/3"), "etcd outlives its agent and still serves the old data");

            agents.restart(0);
            JsonPath view = awaitEnd(service, id);
            assertEquals("FAILED", view.getString("phase"), view.prettify());
            assertTrue(view.getString("error").contains("the etcd-agent stopped during step PREPARING"), view.getString("error"));
            assertTrue(view.getString("error").contains("not changed"), view.getString("error"));
            for (int i = 0; i < 20; i++) {
                assertEquals("current-" + i, value(etcd, "/k/" + i), "the member's data was not changed");
            }
            JsonPath member0 = given().baseUri(agent).get("/api/v1/member").then().extract().jsonPath();
            assertEquals(0, member0.getInt("etcd.restarts"), "the new agent stopped the etcd left running and started its own once");
            assertTrue(Files.notExists(member.dataDir().resolveSibling(member.name() + ".restoring-" + id)), "no staging dir left");

            given().baseUri(service.url()).post("/api/v1/restores/" + id + "/rollback").then().statusCode(202);
            deadline = Instant.now().plus(WAIT);
            while ("REQUESTED".equals(given().baseUri(service.url()).get("/api/v1/restores/" + id).then().extract().path("rollback.state"))) {
                assertTrue(Instant.now().isBefore(deadline), "the rollback did not end");
                Thread.sleep(200);
            }
            view = given().baseUri(service.url()).get("/api/v1/restores/" + id).then().extract().jsonPath();
            assertEquals("ROLLED_BACK", view.getString("rollback.state"), view.prettify());
            assertFalse(given().baseUri(scheduler).get("/api/v1/clusters/" + cluster).then().extract().<Boolean>path("paused"),
                    "the cluster is resumed after the rollback");
        }
    }

    /**
     * SIGTERM stops a service cleanly, not by the SIGKILL that follows 15 s later: its Kafka consumer, which holds
     * partitions, is closed at once (the connector's graceful shutdown slept twice the poll timeout first, 20 s), so the
     * consumer leaves its group and the partitions move on without waiting for its session to expire.
     */
    @Test
    void aServiceWithPartitionsStopsOnSigtermWithoutBeingKilled() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        Map<String, String> config = peers(stack);
        config.remove("test.scheduler.url");
        config.remove("test.snapshot.url");
        config.remove("local-stack.etcd-endpoints");
        // the consumer's assignment and its leaving the group are logged at INFO (Quarkus sets the Kafka client to WARN)
        config.put("quarkus.log.category.\"org.apache.kafka.clients.consumer.internals\".level", "INFO");
        QuarkusService service = start(Path.of("..").toAbsolutePath().normalize(), "restore-stop", config, stack);
        Instant deadline = Instant.now().plus(WAIT);
        while (!Files.readString(service.logFile()).contains("Adding newly assigned partitions") && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertTrue(Files.readString(service.logFile()).contains("Adding newly assigned partitions"), "the consumer has partitions: " + service.logFile());
        int exit = service.stop();
        assertEquals(143, exit, "exit code 143 is a stop on SIGTERM, 137 a SIGKILL 15 s after it; see " + service.logFile());
        assertTrue(Files.readString(service.logFile()).contains("sending LeaveGroup request"), "the consumer left its group on the way out: "
                + service.logFile());
    }

    private static String value(Client etcd, String key) throws Exception {
        return etcd.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    private QuarkusService start(Path repo, String name, Map<String, String> config, LocalStack stack) {
        QuarkusService service = QuarkusService.startOnFreePort(repo, "restore-service", name, config, stack.options().runDir());
        instances.add(service);
        return service.awaitReady(WAIT);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static TreeMap<String, String> fill(Client etcd, String root) throws Exception {
        TreeMap<String, String> written = new TreeMap<>();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int i = 0; i < KEYS; i += 100) {
            List<Op> ops = new ArrayList<>();
            for (int j = i; j < i + 100; j++) {
                String key = root + String.format("%06d", j);
                String value = "value-" + j + "-" + "x".repeat(j % 50);
                written.put(key, value);
                ops.add(Op.put(bytes(key), bytes(value), PutOption.DEFAULT));
            }
            inFlight.add(etcd.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
        }
        for (CompletableFuture<?> future : inFlight) {
            future.get(60, TimeUnit.SECONDS);
        }
        return written;
    }

    /** POSTs the restore, again while the service has not heard of the snapshot yet. */
    private static String request(QuarkusService service, String json) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            var response = given().baseUri(service.url()).contentType(ContentType.JSON).body(json).post("/api/v1/restores");
            if (response.statusCode() == 202) {
                return response.jsonPath().getString("id");
            }
            if (response.statusCode() != 404 || Instant.now().isAfter(deadline)) {
                throw new AssertionError("restore refused: " + response.asString());
            }
            Thread.sleep(200);
        }
    }

    private static void awaitProgress(QuarkusService service, String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            JsonPath view = given().baseUri(service.url()).get("/api/v1/restores/" + id).then().extract().jsonPath();
            Object processed = view.get("progress.keysProcessed");
            if ("RESTORING".equals(view.getString("phase")) && processed != null && ((Number) processed).longValue() > 2000) {
                return;
            }
            if (view.getString("phase").equals("FAILED") || view.getString("phase").equals("COMPLETED")) {
                throw new AssertionError("ended before it could be killed: " + view.prettify());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("restore " + id + " made no progress");
    }

    private static JsonPath awaitEnd(QuarkusService service, String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            JsonPath view = given().baseUri(service.url()).get("/api/v1/restores/" + id).then().statusCode(200).extract().jsonPath();
            if ("COMPLETED".equals(view.getString("phase")) || "FAILED".equals(view.getString("phase"))) {
                return view;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("restore " + id + " did not end");
    }

    /** The stack's restore tool (etcdutl on 3.5, etcdctl on 3.4), taking {@code seconds} longer to restore. */
    private static Path slowRestoreTool(LocalStack stack, String name, int seconds) throws Exception {
        Path tool = stack.options().runDir().resolve(name);
        Files.writeString(tool, "#!/bin/sh\nif [ \"$2\" = restore ] && [ \"$3\" != --help ]; then sleep " + seconds + "; fi\nexec '"
                + stack.options().etcdRelease().restoreTool() + "' \"$@\"\n");
        tool.toFile().setExecutable(true);
        return tool;
    }
}
