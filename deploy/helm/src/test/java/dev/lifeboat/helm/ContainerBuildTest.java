package dev.lifeboat.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The container build and the chart agree with the modules, since no image can be built or run here: each image's
 * port is its module's {@code quarkus.http.port} in the Makefile, the Dockerfile and the chart's values; the service
 * stage runs as user 185 and copies exactly a Quarkus fast-jar's layout; the agent stage adds etcd's tools.
 */
class ContainerBuildTest {

    private static final Path ROOT = Path.of("..", "..");
    private static final Map<String, String> CHART_KEYS = Map.of("scheduler-service", "services.scheduler", "snapshot-service",
            "services.snapshot", "retention-service", "services.retention", "restore-service", "services.restore", "etcd-agent", "agent");

    @Test
    void everyImagesPortIsItsModulesPortInTheMakefileAndTheChart() throws Exception {
        String makefile = Files.readString(ROOT.resolve("Makefile"));
        Matcher images = Pattern.compile("(?m)^IMAGES := (.+)$").matcher(makefile);
        assertTrue(images.find(), "the Makefile lists the images");
        Map<String, Integer> listed = new LinkedHashMap<>();
        for (String image : images.group(1).trim().split("\\s+")) {
            listed.put(image.substring(0, image.indexOf(':')), Integer.parseInt(image.substring(image.indexOf(':') + 1)));
        }
        assertEquals(List.of("scheduler-service", "snapshot-service", "retention-service", "restore-service", "etcd-agent"),
                List.copyOf(listed.keySet()));
        JsonNode values = StrictModel.YAML.readTree(Path.of("lifeboat", "values.yaml").toFile());
        for (Map.Entry<String, Integer> image : listed.entrySet()) {
            int modulePort = Integer.parseInt(httpPort(image.getKey()));
            assertEquals(modulePort, image.getValue(), image.getKey() + " in the Makefile");
            JsonNode chart = values;
            for (String part : CHART_KEYS.get(image.getKey()).split("\\.")) {
                chart = chart.path(part);
            }
            assertEquals(modulePort, chart.path("port").asInt(), image.getKey() + " in the chart's values");
        }
    }

    @Test
    void theServiceStageRunsAsANonRootUserOnAFastJarAndTheAgentStageAddsEtcdsTools() throws Exception {
        String dockerfile = Files.readString(ROOT.resolve("deploy/container/Dockerfile"));
        String service = stage(dockerfile, "service");
        assertTrue(service.contains("\nUSER 185\n"), service);
        assertEquals(List.of("lib/", "*.jar", "app/", "quarkus/"), Pattern.compile("COPY --chown=185 \\$\\{MODULE}/target/quarkus-app/(\\S*) ")
                .matcher(service).results().map(m -> m.group(1)).toList(), "a Quarkus fast-jar: lib, quarkus-run.jar, app, quarkus");
        assertTrue(service.contains("EXPOSE ${PORT}") && service.contains("QUARKUS_HTTP_PORT=${PORT}"), service);
        String agent = stage(dockerfile, "etcd-agent");
        assertTrue(agent.startsWith("FROM service AS etcd-agent"), agent);
        assertTrue(agent.contains("/usr/bin/etcd /usr/bin/etcdctl /usr/bin/etcdutl"), agent);
        assertEquals(List.of("# The image build needs only the packaged applications (<module>/target/quarkus-app).", "**",
                "!*/target/quarkus-app/**"), Files.readAllLines(ROOT.resolve(".dockerignore")), "the build context is only what the images copy");
    }

    private static String stage(String dockerfile, String name) {
        int start = dockerfile.lastIndexOf("FROM ", dockerfile.indexOf(" AS " + name));
        int next = dockerfile.indexOf("\nFROM ", start + 1);
        return dockerfile.substring(start, next < 0 ? dockerfile.length() : next);
    }

    private static String httpPort(String module) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
            properties.load(reader);
        }
        return properties.getProperty("quarkus.http.port");
    }
}
