package dev.lifeboat.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.lifeboat.restore.drill.DrillRecord;
import dev.lifeboat.restore.drill.DrillState;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;

/**
 * The shipped Prometheus rules and Grafana panels ask for the drill metrics under the names restore-service exports: the
 * metrics of a passed and a failed drill, scraped from a Prometheus registry, against the expressions in
 * {@code deploy/helm/lifeboat/files/lifeboat-alerts.yml} and {@code deploy/helm/lifeboat/files/lifeboat-dashboard.json}.
 */
class DrillAlertsTest {

    private static final Path DEPLOY = Path.of("..", "deploy");

    @Test
    void theShippedAlertsAndPanelsUseTheExportedDrillMetrics() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RestoreMetrics metrics = new RestoreMetrics(registry);
        metrics.drillEnded(drill("d1", DrillState.PASSED, null));
        metrics.drillEnded(drill("d2", DrillState.FAILED, "verify"));
        metrics.ended("prod", "REPLACE", false, false, java.time.Instant.now().minusSeconds(30));
        // The text format of this registry ends label sets with ",}"; the service's endpoint does not.
        String scraped = registry.scrape().replace(",}", "}");
        for (String series : List.of("lifeboat_snapshot_last_verified_timestamp_seconds{cluster=\"prod\"}",
                "lifeboat_drill_last_recovery_seconds{cluster=\"prod\"} 3.5", "lifeboat_drill_failures_total{cluster=\"prod\",stage=\"verify\"} 1.0",
                "lifeboat_drill_duration_seconds_count{cluster=\"prod\",verdict=\"passed\"} 1",
                "lifeboat_restoration_duration_seconds_count{cluster=\"prod\",mode=\"REPLACE\",point_in_time=\"false\",succeeded=\"false\"} 1")) {
            assertTrue(scraped.contains(series), series + " is exported:\n" + scraped);
        }

        ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        JsonNode rules = yaml.readTree(DEPLOY.resolve("helm/lifeboat/files/lifeboat-alerts.yml").toFile());
        List<String> alerts = new ArrayList<>();
        for (JsonNode group : rules.path("groups")) {
            if (!"lifeboat-restores".equals(group.path("name").asText())) {
                continue; // the backup alerts ask for snapshot-service's metrics
            }
            for (JsonNode rule : group.path("rules")) {
                alerts.add(rule.path("alert").asText());
                assertTrue(rule.path("expr").isTextual() && rule.path("annotations").path("summary").isTextual(), rule.toString());
                assertTrue(exported(rule.path("expr").asText(), scraped), rule.path("alert").asText() + " asks for a metric that is exported: "
                        + rule.path("expr").asText());
            }
        }
        assertEquals(List.of("LifeboatRestoreFailed", "LifeboatNoVerifiedBackup", "LifeboatDrillFailed", "LifeboatDrillsNotRunning"), alerts);

        JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("helm/lifeboat/files/lifeboat-dashboard.json").toFile());
        List<String> drillPanels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                if (expr.contains("drill") || expr.contains("verified")) {
                    drillPanels.add(panel.path("title").asText());
                    assertTrue(exported(expr, scraped), panel.path("title").asText() + ": " + expr);
                }
            }
        }
        assertEquals(List.of("Time since the last verified backup", "Measured recovery time (drills)"), drillPanels);
    }

    /** Every lifeboat_ metric the expression names appears in the scrape. */
    private static boolean exported(String expr, String scraped) {
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("lifeboat_[a-z_]+").matcher(expr);
        boolean any = false;
        while (names.find()) {
            any = true;
            if (!scraped.contains("\n" + names.group() + "{")) {
                return false;
            }
        }
        return any;
    }

    private static DrillRecord drill(String id, DrillState state, String stage) {
        DrillRecord drill = new DrillRecord();
        drill.id = id;
        drill.clusterId = "prod";
        drill.state = state;
        drill.stage = stage;
        drill.createdAt = Instant.parse("2026-12-06T10:00:00Z");
        drill.finishedAt = Instant.parse("2026-12-06T10:00:09Z");
        if (state == DrillState.PASSED) {
            drill.fetchMillis = 1200L;
            drill.restoreMillis = 800L;
            drill.startMillis = 1500L;
        }
        return drill;
    }
}
