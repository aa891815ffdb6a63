package dev.lifeboat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.Topics;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.tokens.LocalTokens;

/**
 * The attacks of issue #17 against the services as built (real Kafka, PostgreSQL, S3, etcd and an etcd-agent),
 * each with the safe outcome asserted: no token, a forged or expired one → 401 everywhere but health; a viewer →
 * 403 on everything that changes or reveals data; a token for one cluster cannot touch another; no restore id
 * names a path outside its folder, over REST or Kafka; typos, overflows and oversized values are 400s naming the
 * field, with no stack trace and nothing stored; secret references outside the allowed set are refused; every
 * change and download is in the timeline with the caller; the APIs listen on the loopback address only.
 */
@ExtendWith(RunningLifeboat.Shared.class)
class SecurityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String A = "sec-a";
    private static final String B = "sec-b";

    private static RunningLifeboat lifeboat;
    private static LocalStack stack;

    @BeforeAll
    static void start() throws Exception {
        lifeboat = RunningLifeboat.get();
        stack = lifeboat.stack;
        for (String cluster : List.of(A, B)) {
            Answer registered = call(admin(), "POST", "scheduler-service", "/api/v1/clusters",
                    "{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + lifeboat.member.clientUrl() + "\"]}");
            assertTrue(registered.status() == 201 || registered.body().contains("exists"), registered.toString());
        }
    }

    @Test
    void withoutAValidTokenEveryApiAnswers401AndOnlyHealthAnswers() throws Exception {
        String forged = LocalTokens.inFolder(Files.createTempDirectory("other-keys")).mint("mallory", List.of("admin"), List.of(), Duration.ofHours(1));
        List<String[]> endpoints = List.of(
                new String[] {"GET", "scheduler-service", "/api/v1/clusters"}, new String[] {"GET", "scheduler-service", "/api/v1/clusters/" + A},
                new String[] {"POST", "scheduler-service", "/api/v1/clusters"}, new String[] {"PUT", "scheduler-service", "/api/v1/clusters/" + A},
                new String[] {"DELETE", "scheduler-service", "/api/v1/clusters/" + A},
                new String[] {"POST", "scheduler-service", "/api/v1/clusters/" + A + "/backups"},
                new String[] {"POST", "scheduler-service", "/api/v1/clusters/" + A + "/resume"},
                new String[] {"GET", "scheduler-service", "/api/v1/clusters/" + A + "/policies"},
                new String[] {"POST", "scheduler-service", "/api/v1/clusters/" + A + "/policies"},
                new String[] {"DELETE", "scheduler-service", "/api/v1/clusters/" + A + "/policies/default"},
                new String[] {"GET", "scheduler-service", "/api/v1/clusters/" + A + "/timeline"},
                new String[] {"GET", "snapshot-service", "/api/v1/snapshots"}, new String[] {"GET", "snapshot-service", "/api/v1/snapshots/0123456789abcdef"},
                new String[] {"GET", "snapshot-service", "/api/v1/snapshots/0123456789abcdef/content"},
                new String[] {"GET", "snapshot-service", "/api/v1/clusters/" + A + "/delta-capture"},
                new String[] {"GET", "retention-service", "/api/v1/clusters/" + A + "/retention/preview"},
                new String[] {"POST", "retention-service", "/api/v1/clusters/" + A + "/retention/run"},
                new String[] {"POST", "retention-service", "/api/v1/snapshots/0123456789abcdef/hold"},
                new String[] {"DELETE", "retention-service", "/api/v1/snapshots/0123456789abcdef/hold"},
                new String[] {"POST", "restore-service", "/api/v1/restores"}, new String[] {"GET", "restore-service", "/api/v1/restores"},
                new String[] {"GET", "restore-service", "/api/v1/restores/0123456789abcdef"},
                new String[] {"POST", "restore-service", "/api/v1/restores/0123456789abcdef/rollback"},
                new String[] {"GET", "restore-service", "/api/v1/clusters/" + A + "/recovery-window"},
                new String[] {"GET", "etcd-agent", "/api/v1/member"});
        for (String[] endpoint : endpoints) {
            for (String token : new String[] {null, forged, expired()}) {
                Answer answer = call(token, endpoint[0], endpoint[1], endpoint[2], endpoint[0].equals("GET") ? null : "{}");
                assertEquals(401, answer.status(), String.join(" ", endpoint) + (token == null ? " without a token" : " with a bad token") + ": " + answer);
                assertEquals(401, JSON.readTree(answer.body()).path("status").asInt(), "the error shape: " + answer);
            }
        }
        for (String service : List.of("scheduler-service", "snapshot-service", "retention-service", "restore-service")) {
            assertEquals(401, call(null, "GET", service, "/q/metrics", null).status(), service + " metrics need a viewer");
            assertEquals(200, call(viewer(List.of()), "GET", service, "/q/metrics", null).status(), service + " metrics for a viewer");
            assertEquals(200, call(null, "GET", service, "/q/health/ready", null).status(), service + " health answers anyone");
        }
    }

    @Test
    void aViewerReadsButCannotRestoreDownloadOrChangeAnything() throws Exception {
        String viewer = viewer(List.of());
        assertEquals(200, call(viewer, "GET", "scheduler-service", "/api/v1/clusters/" + A, null).status());
        assertEquals(200, call(viewer, "GET", "restore-service", "/api/v1/restores", null).status());
        String snapshot = backUp(A);
        String[][] refused = {
                {"POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"dryRun\": true}"},
                {"POST", "restore-service", "/api/v1/restores/0123456789abcdef/rollback", null},
                {"GET", "snapshot-service", "/api/v1/snapshots/" + snapshot + "/content", null},
                {"POST", "scheduler-service", "/api/v1/clusters/" + A + "/policies", "{\"id\": \"p\", \"schedule\": \"@every 1h\"}"},
                {"POST", "scheduler-service", "/api/v1/clusters", "{\"id\": \"sec-new\", \"endpoints\": [\"http://127.0.0.1:2379\"]}"},
                {"PUT", "scheduler-service", "/api/v1/clusters/" + A, "{\"id\": \"" + A + "\", \"endpoints\": [\"http://127.0.0.1:2379\"]}"},
                {"DELETE", "scheduler-service", "/api/v1/clusters/" + A, null},
                {"POST", "scheduler-service", "/api/v1/clusters/" + A + "/backups", "{}"},
                {"POST", "retention-service", "/api/v1/clusters/" + A + "/retention/run", null},
                {"POST", "retention-service", "/api/v1/snapshots/" + snapshot + "/hold", null}};
        for (String[] request : refused) {
            Answer answer = call(viewer, request[0], request[1], request[2], request[3]);
            assertEquals(403, answer.status(), String.join(" ", request[0], request[1], request[2]) + ": " + answer);
            assertEquals(403, JSON.readTree(answer.body()).path("status").asInt(), "the error shape: " + answer);
        }
        String operator = stack.token("ops", List.of("operator"), List.of(), Duration.ofHours(1));
        assertEquals(403, call(operator, "GET", "snapshot-service", "/api/v1/snapshots/" + snapshot + "/content", null).status(),
                "an operator does not download content");
        assertEquals(200, call(stack.token("dr", List.of("restorer"), List.of(), Duration.ofHours(1)), "GET", "snapshot-service",
                "/api/v1/snapshots/" + snapshot + "/content", null).status(), "a restorer does");
    }

    @Test
    void aTokenForOneClusterCannotTouchAnother() throws Exception {
        String snapshotOfB = backUp(B);
        String onlyA = stack.token("team-a", List.of("admin"), List.of(A), Duration.ofHours(1));
        assertEquals(200, call(onlyA, "GET", "scheduler-service", "/api/v1/clusters/" + A, null).status());
        assertEquals(403, call(onlyA, "GET", "scheduler-service", "/api/v1/clusters/" + B, null).status());
        assertEquals(403, call(onlyA, "GET", "scheduler-service", "/api/v1/clusters/" + B + "/timeline", null).status());
        assertEquals(403, call(onlyA, "POST", "scheduler-service", "/api/v1/clusters/" + B + "/backups", "{}").status());
        assertEquals(403, call(onlyA, "DELETE", "scheduler-service", "/api/v1/clusters/" + B, null).status());
        assertEquals(403, call(onlyA, "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + B + "\", \"dryRun\": true}").status());
        assertEquals(403, call(onlyA, "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"targetCluster\": \"" + B
                + "\", \"allowCrossCluster\": true, \"dryRun\": true}").status(), "nor restore into it");
        assertEquals(403, call(onlyA, "GET", "snapshot-service", "/api/v1/snapshots?cluster=" + B, null).status());
        assertEquals(404, call(onlyA, "GET", "snapshot-service", "/api/v1/snapshots/" + snapshotOfB + "/content", null).status(),
                "another cluster's snapshot does not exist for it");
        for (JsonNode cluster : JSON.readTree(call(onlyA, "GET", "scheduler-service", "/api/v1/clusters", null).body())) {
            assertEquals(A, cluster.path("id").asText(), "it lists only its cluster");
        }
        for (JsonNode snapshot : JSON.readTree(call(onlyA, "GET", "snapshot-service", "/api/v1/snapshots?limit=1000", null).body())) {
            assertEquals(A, snapshot.path("clusterId").asText(), "it lists only its cluster's snapshots");
        }
        Answer forbidden = call(onlyA, "GET", "scheduler-service", "/api/v1/clusters/" + B, null);
        assertTrue(JSON.readTree(forbidden.body()).path("error").asText().contains("limited to cluster " + A), forbidden.toString());
    }

    @Test
    void noRestoreIdNamesAPathOutsideItsFolderOverRestOrKafka() throws Exception {
        Path canary = Files.createDirectories(stack.options().dataDir().resolve("canary"));
        Files.writeString(canary.resolve("precious"), "do not delete");
        for (String restoreId : List.of(canary.toString(), "../canary", "../../canary", "a/b", "..", ".", "UPPER", "x".repeat(64))) {
            Answer answer = call(restorer(), "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"restoreId\": "
                    + JSON.writeValueAsString(restoreId) + ", \"dryRun\": true, \"keyPrefix\": \"/p/\"}");
            assertEquals(400, answer.status(), restoreId + ": " + answer);
            assertEquals("restoreId", JSON.readTree(answer.body()).path("field").asText(), answer.toString());
        }
        String badId = UUID.randomUUID().toString();
        byte[] body = ("{\"restoreId\": " + JSON.writeValueAsString(canary.toString()) + ", \"clusterId\": \"" + A
                + "\", \"mode\": \"API\", \"keyPrefix\": \"/p/\", \"prune\": false, \"allowCrossCluster\": false, \"dryRun\": true, \"requester\": \"x\"}")
                .getBytes(StandardCharsets.UTF_8);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RESTORE_REQUESTS, A, body);
        EventCodec.writeHeaders(record.headers(), UUID.fromString(badId), EventType.RESTORE_REQUESTED, "lifeboat/attacker", A, Instant.now());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.kafka().bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(record).get();
        }
        ConsumerRecord<String, byte[]> dead = awaitRecord(Topics.deadLetter("restore"), r -> badId.equals(header(r, EventCodec.H_ID)));
        assertTrue(header(dead, "dead-letter-reason").contains("restoreId must be a DNS label"), header(dead, "dead-letter-reason"));
        Thread.sleep(2000);
        assertEquals("do not delete", Files.readString(canary.resolve("precious")), "the canary survived every restore id");
    }

    @Test
    void typosOverflowsAndOversizedValuesAre400sNamingTheFieldWithNothingStored() throws Exception {
        String admin = admin();
        int restoresBefore = JSON.readTree(call(admin, "GET", "restore-service", "/api/v1/restores?cluster=" + A, null).body()).size();
        Answer typo = call(admin, "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"keyPrefix\": \"/p/\", \"dryrun\": true}");
        assertEquals(400, typo.status(), typo.toString());
        assertEquals("dryrun", JSON.readTree(typo.body()).path("field").asText(), typo.toString());
        assertEquals(restoresBefore, JSON.readTree(call(admin, "GET", "restore-service", "/api/v1/restores?cluster=" + A, null).body()).size(),
                "the typo started no restore");

        assertField(call(admin, "POST", "scheduler-service", "/api/v1/clusters/" + A + "/policies",
                "{\"id\": \"huge\", \"schedule\": \"@every 9223372036854775807h\"}"), "schedule");
        assertField(call(admin, "POST", "scheduler-service", "/api/v1/clusters/" + A + "/policies",
                "{\"id\": \"huge\", \"schedule\": \"@every 5000000000h\"}"), "schedule");
        assertField(call(admin, "POST", "scheduler-service", "/api/v1/clusters/" + A + "/policies",
                "{\"id\": \"jit\", \"schedule\": \"@every 1h\", \"jitter\": \"2h\"}"), "jitter");
        assertField(call(admin, "GET", "snapshot-service", "/api/v1/snapshots?limit=abc", null), "limit");
        assertField(call(admin, "GET", "scheduler-service", "/api/v1/clusters/" + A + "/timeline?limit=-1", null), "limit");
        assertField(call(admin, "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"toRevision\": \"abc\"}"), "toRevision");
        assertField(call(admin, "POST", "restore-service", "/api/v1/restores", "{\"cluster\": \"" + A + "\", \"mode\": \"" + "M".repeat(500) + "\"}"),
                "mode");

        long outboxBefore = count("select count(*) from scheduler.outbox_event");
        Answer huge = call(admin, "POST", "scheduler-service", "/api/v1/clusters/" + A + "/backups",
                "{\"reason\": \"" + "r".repeat(1 << 20) + "\"}");
        assertField(huge, "reason");
        assertEquals(outboxBefore, count("select count(*) from scheduler.outbox_event"), "no event that could never be sent");
        for (Answer answer : List.of(huge, typo)) {
            assertFalse(answer.body().contains("Stack") || answer.body().contains("at dev.lifeboat") || answer.body().contains("Exception"),
                    "no stack trace in the body: " + answer);
        }
    }

    @Test
    void secretReferencesOutsideTheAllowedSetAndCredentialsOverPlainHttpAreRefused() throws Exception {
        String admin = admin();
        String https = "https://10.0.0.1:2379";
        for (String[] auth : new String[][] {{"env:LIFEBOAT_S3_SECRET_KEY", "auth.userRef"}, {"file:/etc/passwd", "auth.userRef"},
                {"file:/run/secrets/../../etc/shadow", "auth.userRef"}, {"env:PATH", "auth.userRef"}}) {
            Answer answer = call(admin, "POST", "scheduler-service", "/api/v1/clusters", "{\"id\": \"sec-refs\", \"endpoints\": [\"" + https
                    + "\"], \"auth\": {\"userRef\": \"" + auth[0] + "\", \"passwordRef\": \"file:/run/secrets/etcd-password\"}}");
            assertField(answer, auth[1]);
            assertFalse(answer.body().contains("exist"), "the answer does not say whether a file exists: " + answer);
        }
        Answer plain = call(admin, "POST", "scheduler-service", "/api/v1/clusters", "{\"id\": \"sec-refs\", \"endpoints\": [\"http://10.0.0.1:2379\"], "
                + "\"auth\": {\"userRef\": \"env:LIFEBOAT_ETCD_USER\", \"passwordRef\": \"file:/run/secrets/etcd-password\"}}");
        assertField(plain, "auth");
        Answer insecure = call(admin, "POST", "scheduler-service", "/api/v1/clusters", "{\"id\": \"sec-refs\", \"endpoints\": [\"http://10.0.0.1:2379\"], "
                + "\"auth\": {\"userRef\": \"env:LIFEBOAT_ETCD_USER\", \"passwordRef\": \"file:/run/secrets/etcd-password\"}, \"allowInsecure\": true}");
        assertEquals(201, insecure.status(), "allowed when the cluster says so: " + insecure);
        assertEquals(204, call(admin, "DELETE", "scheduler-service", "/api/v1/clusters/sec-refs", null).status());
    }

    @Test
    void everyChangeAndEveryDownloadIsInTheTimelineWithWhoDidIt() throws Exception {
        String alice = stack.token("alice", List.of("operator"), List.of(A), Duration.ofHours(1));
        String snapshot = backUp(A, alice);
        String bob = stack.token("bob", List.of("restorer"), List.of(A), Duration.ofHours(1));
        assertEquals(200, call(bob, "GET", "snapshot-service", "/api/v1/snapshots/" + snapshot + "/content", null).status());
        Instant deadline = Instant.now().plusSeconds(60);
        List<String> summaries = new ArrayList<>();
        while (Instant.now().isBefore(deadline)) {
            summaries.clear();
            JSON.readTree(call(admin(), "GET", "scheduler-service", "/api/v1/clusters/" + A + "/timeline?limit=5000", null).body())
                    .forEach(entry -> summaries.add(entry.path("summary").asText()));
            if (summaries.contains("alice: POST /api/v1/clusters/" + A + "/backups → 202")
                    && summaries.contains("bob: download (snapshot " + snapshot + ") → 200")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the timeline names alice's backup and bob's download: " + summaries);
    }

    @Test
    void theApisListenOnTheLoopbackAddressOnly() throws Exception {
        for (String service : List.of("scheduler-service", "snapshot-service", "retention-service", "restore-service", "etcd-agent")) {
            int port = URI.create(lifeboat.url(service)).getPort();
            List<String> addresses = listening(port);
            assertFalse(addresses.isEmpty(), service + " listens on " + port);
            for (String address : addresses) {
                assertTrue(LOOPBACK.contains(address), service + " listens on the loopback address only, not " + address);
            }
        }
    }

    /** 127.0.0.1 as /proc/net/tcp writes it, the same mapped into IPv6 (Java's sockets), and ::1. */
    private static final List<String> LOOPBACK = List.of("0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000");

    /** The local addresses (hex, as /proc/net/tcp and tcp6 write them) of the sockets listening on a port. */
    private static List<String> listening(int port) throws Exception {
        List<String> addresses = new ArrayList<>();
        String hexPort = String.format("%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && fields[1].endsWith(":" + hexPort) && fields[3].equals("0A")) {
                    addresses.add(fields[1].substring(0, fields[1].indexOf(':')));
                }
            }
        }
        return addresses;
    }

    /**
     * TLS for the HTTP API is configuration: a restore-service replica given a certificate serves its API over https
     * only (no plain port), and answers a caller that trusts the certificate.
     */
    @Test
    void anApiServesHttpsOnlyWhenGivenACertificate() throws Exception {
        Path dir = Files.createDirectories(stack.options().dataDir().resolve("tls"));
        Path keyStore = dir.resolve("restore.p12");
        Path certificate = dir.resolve("restore.pem");
        Files.deleteIfExists(keyStore);
        keytool("-genkeypair", "-alias", "restore", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "restore", "-keystore", keyStore.toString(), "-storepass", "changeit", "-file", certificate.toString());
        Map<String, String> config = new java.util.HashMap<>(stack.quarkusConfig());
        config.remove("local-stack.etcd-endpoints");
        int httpsPort = dev.lifeboat.stack.Ports.free();
        config.put("quarkus.http.ssl-port", Integer.toString(httpsPort));
        config.put("quarkus.http.ssl.certificate.key-store-file", keyStore.toString());
        config.put("quarkus.http.ssl.certificate.key-store-password", "changeit");
        config.put("quarkus.http.insecure-requests", "disabled");
        try (dev.lifeboat.stack.QuarkusService tls = dev.lifeboat.stack.QuarkusService.startOnFreePort(RunningLifeboat.REPO, "restore-service",
                "restore-service-tls", config, stack.options().runDir())) {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (var in = Files.newInputStream(certificate)) {
                trust.setCertificateEntry("restore", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            javax.net.ssl.TrustManagerFactory trusting = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trusting.init(trust);
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, trusting.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(2)).build();
            URI restores = URI.create("https://127.0.0.1:" + httpsPort + "/api/v1/restores");
            Instant deadline = Instant.now().plusSeconds(120);
            HttpResponse<String> answer = null;
            while (answer == null && Instant.now().isBefore(deadline)) {
                try {
                    answer = https.send(HttpRequest.newBuilder(restores).header("Authorization", "Bearer " + admin()).build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (java.io.IOException notYet) {
                    Thread.sleep(500);
                }
            }
            assertTrue(answer != null, "restore-service answered over https");
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(answer.body().startsWith("["), answer.body());
            assertEquals(401, https.send(HttpRequest.newBuilder(restores).build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                    "a token is still needed");
            assertTrue(listening(URI.create(tls.url()).getPort()).isEmpty(), "no plain HTTP port is open");
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), "keytool " + args[0] + ": " + output);
    }

    private record Answer(int status, String body) {
    }

    private static Answer call(String token, String method, String service, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(lifeboat.url(service) + path)).timeout(Duration.ofSeconds(60))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    private static void assertField(Answer answer, String field) throws Exception {
        assertEquals(400, answer.status(), answer.toString().length() > 600 ? answer.toString().substring(0, 600) : answer.toString());
        assertEquals(field, JSON.readTree(answer.body()).path("field").asText(), answer.body().length() > 600 ? answer.body().substring(0, 600)
                : answer.body());
    }

    private static String admin() {
        return stack.adminToken();
    }

    private static String viewer(List<String> clusters) {
        return stack.token("watcher", List.of("viewer"), clusters, Duration.ofHours(1));
    }

    private static String restorer() {
        return stack.token("dr", List.of("restorer"), List.of(), Duration.ofHours(1));
    }

    /** A token that expired: signed by the stack's key, but a second old. */
    private static String expired() throws Exception {
        String token = stack.token("late", List.of("admin"), List.of(), Duration.ofSeconds(1));
        Thread.sleep(1100);
        return token;
    }

    private static String backUp(String cluster) throws Exception {
        return backUp(cluster, admin());
    }

    /** A backup of the cluster; returns the snapshot's id once Completed. */
    private static String backUp(String cluster, String token) throws Exception {
        Answer accepted = call(token, "POST", "scheduler-service", "/api/v1/clusters/" + cluster + "/backups", "{\"reason\": \"security test\"}");
        assertEquals(202, accepted.status(), accepted.toString());
        String requestId = JSON.readTree(accepted.body()).path("requestId").asText();
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            for (JsonNode snapshot : JSON.readTree(call(admin(), "GET", "snapshot-service", "/api/v1/snapshots?cluster=" + cluster, null).body())) {
                if (requestId.equals(snapshot.path("requestId").asText()) && "COMPLETED".equals(snapshot.path("phase").asText())) {
                    return snapshot.path("id").asText();
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("backup " + requestId + " of " + cluster + " did not complete");
    }

    private static long count(String sql) throws Exception {
        try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().user(), stack.postgres().password());
                PreparedStatement query = db.prepareStatement(sql); ResultSet row = query.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    private static ConsumerRecord<String, byte[]> awaitRecord(String topic, java.util.function.Predicate<ConsumerRecord<String, byte[]>> match) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafka().bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "security-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (match.test(record)) {
                        return record;
                    }
                }
            }
        }
        throw new AssertionError("no matching record on " + topic);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }
}
