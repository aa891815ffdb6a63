package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as make run uses it, in its own JVM: every piece starts and answers, and SIGTERM leaves
 * no process behind.
 */
class LocalStackProcessIT {

    @TempDir
    Path dataDir;

    @Test
    void startsEveryPieceAndLeavesNoProcessAfterSigterm() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process launcher = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, StackMain.class.getName(), dataDir.toString(), "--topic", "lifeboat.probe:3")
                .redirectErrorStream(true).start();
        try {
            Map<String, String> config = readUntilReady(launcher);

            String etcd = config.get("local-stack.etcd-endpoints");
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(etcd + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(health.body().contains("\"health\":\"true\""), health.body());

            try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.get("kafka.bootstrap.servers")))) {
                TopicDescription probe = admin.describeTopics(Set.of("lifeboat.probe")).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get("lifeboat.probe");
                assertEquals(3, probe.partitions().size());
            }

            HttpResponse<String> s3 = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(config.get("lifeboat.s3.endpoint") + "/" + StackOptions.BUCKET)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, s3.statusCode(), "an unsigned request is refused: " + s3.body());
            assertTrue(s3.body().contains("AccessDenied"), s3.body());
            assertEquals("<hidden>", config.get("lifeboat.s3.secret-key"), "secrets never appear in the output");

            try (Connection connection = DriverManager.getConnection(config.get("quarkus.datasource.jdbc.url"), "postgres", "");
                    ResultSet result = connection.createStatement().executeQuery("select current_database()")) {
                assertTrue(result.next());
                assertEquals(PostgresServer.DATABASE, result.getString(1));
            }

            List<ProcessHandle> children = new ArrayList<>(launcher.descendants().toList());
            ProcessHandle.of(Long.parseLong(Files.readString(dataDir.resolve("run/postgres.pid")).trim())).ifPresent(children::add);
            assertTrue(children.size() >= 4, "etcd, Kafka, S3Proxy and PostgreSQL run as processes: " + children);

            launcher.destroy();
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher stops within a minute of SIGTERM");
            Instant deadline = Instant.now().plusSeconds(10);
            while (children.stream().anyMatch(ProcessHandle::isAlive) && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            assertEquals(List.of(), children.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList(),
                    "processes left after SIGTERM");
            assertFalse(Ports.accepts(Integer.parseInt(config.get("kafka.bootstrap.servers").split(":")[1])));
        } finally {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    private static Map<String, String> readUntilReady(Process launcher) throws Exception {
        Map<String, String> config = new HashMap<>();
        StringBuilder output = new StringBuilder();
        BufferedReader reader = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
        Instant deadline = Instant.now().plusSeconds(120);
        String line;
        while (Instant.now().isBefore(deadline) && (line = reader.readLine()) != null) {
            output.append(line).append('\n');
            if (line.equals("READY")) {
                Thread drain = new Thread(() -> reader.lines().forEach(ignored -> { }));
                drain.setDaemon(true);
                drain.start();
                return config;
            }
            int eq = line.indexOf('=');
            if (eq > 0 && !line.contains(" ")) {
                config.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        throw new AssertionError("the launcher never said READY:\n" + output);
    }
}
