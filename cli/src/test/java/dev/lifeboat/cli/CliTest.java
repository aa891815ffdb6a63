package dev.lifeboat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;

/**
 * The command line's own logic — arguments into requests, answers into tables and JSON, failures into exit
 * codes — against canned answers of a local HTTP server. The commands against the real services are
 * tested in the e2e module.
 */
class CliTest {

    private HttpServer server;
    private final Map<String, String[]> answers = new ConcurrentHashMap<>();
    private final List<String> requests = new ArrayList<>();
    private final List<String> authorizations = new ArrayList<>();

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String key = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            synchronized (requests) {
                requests.add(key + (body.isEmpty() ? "" : " " + body));
                authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            }
            String[] answer = answers.getOrDefault(key, new String[] {"404", "{\"status\":404,\"error\":\"nothing at " + key + "\"}"});
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(Integer.parseInt(answer[0]), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private record Run(int code, String out, String err) {
    }

    private Run run(String... args) {
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--scheduler-url", url, "--snapshot-url", url, "--restore-url", url, "--retention-url", url));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Lifeboat.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void clusterAddSendsTheReferencesAndMembersAsTheSchedulerTakesThem() {
        answers.put("POST /api/v1/clusters", new String[] {"201", "{\"id\":\"prod\",\"endpoints\":[\"https://10.0.0.1:2379\"]}"});
        Run run = run("cluster", "add", "prod", "--endpoint", "https://10.0.0.1:2379", "--member", "m1=https://10.0.0.1:2380=https://10.0.0.1:2379",
                "--user-ref", "env:ETCD_USER", "--password-ref", "file:/run/secrets/etcd");
        assertEquals(0, run.code(), run.err());
        assertEquals("cluster prod registered: https://10.0.0.1:2379", run.out().strip());
        String sent = requests.get(0);
        assertTrue(sent.contains("\"members\":[{\"") && sent.contains("\"peerUrl\":\"https://10.0.0.1:2380\""), sent);
        assertTrue(sent.contains("\"auth\":{\"userRef\":\"env:ETCD_USER\",\"passwordRef\":\"file:/run/secrets/etcd\"}"), sent);
    }

    @Test
    void listsAreTablesForPeopleAndTheServicesJsonForRunbooks() {
        answers.put("GET /api/v1/snapshots?cluster=prod&limit=50", new String[] {"200", "[{\"id\":\"s1\",\"kind\":\"FULL\",\"phase\":\"COMPLETED\","
                + "\"revision\":4711,\"rawSize\":2500000,\"storedSize\":800000,\"completedAt\":\"2026-12-01T10:00:00Z\",\"objectKey\":\"lifeboat/prod/full/x.db.zst\"},"
                + "{\"id\":\"d1\",\"kind\":\"DELTA\",\"phase\":\"COMPLETED\",\"firstRevision\":4712,\"revision\":4800,\"rawSize\":900}]"});
        Run table = run("snapshots", "list", "--cluster", "prod");
        assertEquals(0, table.code(), table.err());
        String[] lines = table.out().split("\n");
        assertTrue(lines[0].matches("ID\\s+KIND\\s+PHASE\\s+REVISION\\s+SIZE\\s+STORED\\s+COMPLETED\\s+OBJECT / REASON"), lines[0]);
        assertTrue(lines[1].matches("s1\\s+FULL\\s+COMPLETED\\s+4711\\s+2\\.5 MB\\s+800\\.0 kB\\s+2026-12-01T10:00:00Z\\s+lifeboat/prod/full/x\\.db\\.zst"), lines[1]);
        assertTrue(lines[2].matches("d1\\s+DELTA\\s+COMPLETED\\s+4712-4800\\s+900 B.*"), lines[2]);

        Run json = run("snapshots", "list", "--cluster", "prod", "-o", "json");
        assertEquals(0, json.code());
        assertTrue(json.out().contains("\"objectKey\" : \"lifeboat/prod/full/x.db.zst\""), json.out());
    }

    @Test
    void aRefusalExitsWithTwoAndTheServicesOwnWords() {
        answers.put("POST /api/v1/restores", new String[] {"400", "{\"status\":400,\"error\":\"revision 9 cannot be restored: ...\",\"field\":\"toRevision\"}"});
        Run run = run("restore", "--cluster", "prod", "--to-revision", "9");
        assertEquals(CliException.REFUSED, run.code());
        assertEquals("lifeboat: restore-service refused (400, field toRevision): revision 9 cannot be restored: ...", run.err().strip());
        assertTrue(requests.get(0).contains("\"toRevision\":9"), requests.get(0));

        Run usage = run("restore");
        assertEquals(CliException.REFUSED, usage.code());
        assertTrue(usage.err().contains("Missing required option: '--cluster=<cluster>'"), usage.err());
    }

    @Test
    void waitingFollowsARestoreAndExitsOneWhenItFailed() {
        answers.put("POST /api/v1/restores", new String[] {"202", "{\"id\":\"r1\",\"phase\":\"VALIDATING\",\"snapshot\":\"s1\",\"mode\":\"API\"}"});
        answers.put("GET /api/v1/restores/r1", new String[] {"200", "{\"id\":\"r1\",\"phase\":\"FAILED\",\"error\":\"snapshot s1: its object is corrupted\"}"});
        Run run = run("restore", "--cluster", "prod", "--snapshot", "s1", "--wait");
        assertEquals(CliException.FAILED, run.code());
        assertTrue(run.out().contains("FAILED: snapshot s1: its object is corrupted"), run.out());
        assertEquals("lifeboat: restore r1 failed: snapshot s1: its object is corrupted", run.err().strip());
    }

    @Test
    void aDrillThatPassesPrintsTheMeasuredRecoveryAndOneThatFailsExitsWithOne() {
        answers.put("POST /api/v1/drills", new String[] {"202", "{\"id\":\"d1\",\"snapshot\":\"s1\",\"revision\":42,\"member\":\"etcd-0\",\"state\":\"RUNNING\"}"});
        answers.put("GET /api/v1/drills/d1", new String[] {"200", "{\"id\":\"d1\",\"snapshot\":\"s1\",\"state\":\"PASSED\",\"observedKeys\":1200,"
                + "\"observedHash\":3735928559,\"hashCompared\":true,\"times\":{\"fetchMillis\":1200,\"restoreMillis\":800,\"startMillis\":1500,"
                + "\"recoveryMillis\":3500,\"dbBytes\":104857600}}"});
        Run passed = run("drill", "run", "--cluster", "prod", "--wait");
        assertEquals(0, passed.code(), passed.err());
        assertTrue(passed.out().contains("drill d1 passed: snapshot s1 restored and served 1200 keys with the HashKV recorded at backup (3735928559); "
                + "recovery took 3.5 s (fetch 1.2 s, restore 0.8 s, start 1.5 s)"), passed.out());

        answers.put("GET /api/v1/drills/d1", new String[] {"200", "{\"id\":\"d1\",\"snapshot\":\"s1\",\"state\":\"FAILED\",\"stage\":\"fetch\","
                + "\"reason\":\"snapshot s1 cannot be read back from its stored object\"}"});
        Run failed = run("drill", "run", "--cluster", "prod", "--snapshot", "s1", "--wait");
        assertEquals(CliException.FAILED, failed.code());
        assertEquals("lifeboat: drill d1 failed at fetch: snapshot s1 cannot be read back from its stored object", failed.err().strip());

        answers.put("POST /api/v1/drills", new String[] {"409", "{\"status\":409,\"error\":\"drill d0 of cluster 'prod' is running; one drill per "
                + "cluster at a time\",\"field\":\"cluster\"}"});
        Run busy = run("drill", "run", "--cluster", "prod");
        assertEquals(CliException.REFUSED, busy.code());
        assertTrue(busy.err().contains("drill d0 of cluster 'prod' is running"), busy.err());
    }

    @Test
    void aPointInTimeDrillSendsTheRevisionAndNamesTheDeltas() {
        answers.put("POST /api/v1/drills", new String[] {"202", "{\"id\":\"d2\",\"snapshot\":\"s1\",\"revision\":90,\"toRevision\":95,"
                + "\"deltas\":[\"d-a\",\"d-b\"],\"member\":\"etcd-0\",\"state\":\"RUNNING\"}"});
        answers.put("GET /api/v1/drills/d2", new String[] {"200", "{\"id\":\"d2\",\"snapshot\":\"s1\",\"state\":\"FAILED\",\"stage\":\"replay\","
                + "\"reason\":\"delta d-b cannot be read back\"}"});
        Run run = run("drill", "run", "--cluster", "prod", "--to-revision", "95", "--wait");
        assertEquals(CliException.FAILED, run.code());
        assertTrue(requests.get(0).contains("\"toRevision\":95"), requests.get(0));
        assertTrue(run.out().contains("drill d2 of snapshot s1 + 2 deltas (cluster prod, revision 90)"), run.out());
        assertEquals("lifeboat: drill d2 failed at replay: delta d-b cannot be read back", run.err().strip());
    }

    @Test
    void clusterResumeSendsTheReasonAndARefusalWhileARestoreRunsExitsWithTwo() {
        answers.put("POST /api/v1/clusters/prod/resume", new String[] {"200", "{\"id\":\"prod\",\"paused\":false}"});
        Run run = run("cluster", "resume", "prod", "--reason", "members checked by hand");
        assertEquals(0, run.code(), run.err());
        assertEquals("cluster prod resumes its backups", run.out().strip());
        assertEquals("POST /api/v1/clusters/prod/resume {\"reason\":\"members checked by hand\"}", requests.get(0));

        answers.put("POST /api/v1/clusters/prod/resume", new String[] {"409", "{\"status\":409,\"error\":\"restore r1 of cluster 'prod' is running (RESTORING); "
                + "it resumes the cluster when it ends\"}"});
        Run refused = run("cluster", "resume", "prod");
        assertEquals(CliException.REFUSED, refused.code());
        assertTrue(refused.err().contains("restore r1 of cluster 'prod' is running (RESTORING)"), refused.err());
    }

    @Test
    void timeoutsAndTtlsReadTheServicesDurationSyntaxAndARefusalNamesTheOption() {
        assertEquals(java.time.Duration.ofMinutes(90), Waiting.duration("1h30m", "--timeout"));
        assertEquals(java.time.Duration.ofDays(7), Waiting.duration("7d", "--ttl"));
        assertEquals(java.time.Duration.ofMinutes(30), Waiting.duration("PT30M", "--timeout"));
        CliException wrong = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> Waiting.duration("soon", "--timeout"));
        assertEquals(CliException.REFUSED, wrong.exitCode());
        assertTrue(wrong.getMessage().contains("--timeout 'soon' is not a duration"), wrong.getMessage());
        CliException tooLong = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> Waiting.duration("400d", "--ttl"));
        assertTrue(tooLong.getMessage().contains("--ttl must be between 1s and 366d"), tooLong.getMessage());
    }

    @Test
    void progressLinesShowTheTimeWithSecondsEvenWhenTheyAreZero() {
        assertEquals("17:58:00", Waiting.CLOCK.format(java.time.LocalTime.of(17, 58)));
        assertEquals("09:05:07", Waiting.CLOCK.format(java.time.LocalTime.of(9, 5, 7, 999_000_000)));
    }

    @Test
    void snapshotStatusOfAMissingFileOrADirectorySaysSo(@TempDir Path dir) {
        Run missing = run("snapshot", "status", dir.resolve("nonexistent").toString());
        assertEquals(CliException.FAILED, missing.code());
        assertEquals("lifeboat: cannot read " + dir.resolve("nonexistent") + ": no such file", missing.err().strip());
        Run directory = run("snapshot", "status", dir.toString());
        assertEquals(CliException.FAILED, directory.code());
        assertEquals("lifeboat: cannot read " + dir + ": it is a directory, not a snapshot file", directory.err().strip());
    }

    @Test
    void everyCallCarriesTheTokenAndA401Or403ExitsWithFiveSayingWhatToDo(@TempDir Path dir) throws IOException {
        answers.put("GET /api/v1/clusters", new String[] {"200", "[]"});
        assertEquals(0, run("--token", "t0ken", "cluster", "list").code());
        assertEquals("Bearer t0ken", authorizations.get(0));
        Path file = Files.writeString(dir.resolve("token"), "from-a-file\n");
        assertEquals(0, run("--token-file", file.toString(), "cluster", "list").code());
        assertEquals("Bearer from-a-file", authorizations.get(1));
        Run missing = run("--token-file", dir.resolve("absent").toString(), "cluster", "list");
        assertEquals(CliException.DENIED, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());

        answers.put("GET /api/v1/clusters", new String[] {"401", "{\"status\":401,\"error\":\"a valid bearer token is required\"}"});
        Run unauthenticated = run("cluster", "list");
        assertEquals(CliException.DENIED, unauthenticated.code());
        assertTrue(unauthenticated.err().contains("needs a valid token (401)") && unauthenticated.err().contains("token create"), unauthenticated.err());
        answers.put("GET /api/v1/clusters", new String[] {"403", "{\"status\":403,\"error\":\"your token is limited to cluster a\"}"});
        Run forbidden = run("--token", "t", "cluster", "list");
        assertEquals(CliException.DENIED, forbidden.code());
        assertEquals("lifeboat: scheduler-service refused (403): your token is limited to cluster a", forbidden.err().strip());
    }

    @Test
    void tokenCreateSignsWithTheKeysOfTheFolder(@TempDir Path dir) {
        dev.lifeboat.tokens.LocalTokens.inFolder(dir);
        Run created = run("token", "create", "--role", "viewer", "--cluster", "local", "--ttl", "2h", "--subject", "dashboard", "--keys", dir.toString());
        assertEquals(0, created.code(), created.err());
        String[] parts = created.out().strip().split("\\.");
        assertEquals(3, parts.length, created.out());
        String claims = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertTrue(claims.contains("\"sub\":\"dashboard\"") && claims.contains("\"groups\":[\"viewer\"]")
                && claims.contains("\"lifeboat_clusters\":[\"local\"]"), claims);
        Run unknownRole = run("token", "create", "--role", "root", "--keys", dir.toString());
        assertEquals(CliException.REFUSED, unknownRole.code());
        Run noKeys = run("token", "create", "--role", "viewer", "--keys", dir.resolve("none").toString());
        assertEquals(CliException.REFUSED, noKeys.code());
        assertTrue(noKeys.err().contains("make run writes one"), noKeys.err());
    }

    @Test
    void deadLettersAreListedWithTheirReasonAndOneIsReplayedByItsPlace() {
        answers.put("GET /api/v1/dead-letters?from=0&limit=100", new String[] {"200", "{\"topics\":[\"lifeboat.dead-letter.restore\"],"
                + "\"topic\":\"lifeboat.dead-letter.restore\",\"records\":[{\"topic\":\"lifeboat.dead-letter.restore\",\"partition\":0,"
                + "\"offset\":7,\"at\":\"2026-12-05T10:00:00Z\",\"originalTopic\":\"lifeboat.agent-events\",\"type\":\"lifeboat.agent.x.v1\","
                + "\"key\":\"prod\",\"reason\":\"unknown event type 'lifeboat.agent.x.v1'\"}]}"});
        Run listed = run("dead-letters", "list", "--service", "restore");
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().contains("lifeboat.agent-events") && listed.out().contains("unknown event type 'lifeboat.agent.x.v1'"), listed.out());
        assertTrue(listed.out().lines().anyMatch(line -> line.contains(" 7 ")), listed.out());

        answers.put("POST /api/v1/dead-letters/lifeboat.dead-letter.restore/0/7/replay", new String[] {"200",
                "{\"from\":\"lifeboat.dead-letter.restore/0@7\",\"topic\":\"lifeboat.agent-events\",\"partition\":2,\"offset\":41}"});
        Run replayed = run("dead-letters", "replay", "--service", "restore", "--topic", "lifeboat.dead-letter.restore", "--offset", "7");
        assertEquals(0, replayed.code(), replayed.err());
        assertEquals("replayed lifeboat.dead-letter.restore/0@7 to lifeboat.agent-events-2@41", replayed.out().strip());
        Run refused = run("dead-letters", "replay", "--service", "restore", "--topic", "../clusters", "--offset", "7");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--topic must be a Kafka topic name"), refused.err());
    }

    @Test
    void anUnreachableServiceExitsWithThreeNamingIt() {
        StringWriter err = new StringWriter();
        int code = Lifeboat.run(new String[] {"cluster", "list", "--scheduler-url", "http://127.0.0.1:1"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(CliException.UNREACHABLE, code);
        assertTrue(err.toString().startsWith("lifeboat: cannot reach scheduler-service at http://127.0.0.1:1: nothing answers there"), err.toString());
    }

    @Test
    void snapshotStatusReadsADeltaOfflineAndRefusesAFileThatIsNone(@TempDir Path dir) throws IOException {
        Path delta = dir.resolve("d.delta");
        try (var out = Files.newOutputStream(delta)) {
            DeltaFile.Writer writer = new DeltaFile.Writer(out, new DeltaFile.Header("prod", "c1", 10));
            writer.write(DeltaEvent.put(11, "/k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8), 11, 1, 0, 0,
                    java.time.Instant.parse("2026-12-01T10:00:00Z")));
            writer.finish();
        }
        Run run = run("snapshot", "status", delta.toString(), "-o", "json");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("\"lastRevision\" : 11") && run.out().contains("\"kind\" : \"lifeboat delta\""), run.out());

        Path junk = Files.writeString(dir.resolve("junk.db"), "not a snapshot at all, only text that is long enough to fail");
        Run bad = run("snapshot", "status", junk.toString());
        assertEquals(CliException.FAILED, bad.code());
        assertTrue(bad.err().startsWith("lifeboat: " + junk + " is not a valid etcd snapshot: "), bad.err());
    }
}
