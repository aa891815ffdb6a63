package dev.lifeboat.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

import dev.lifeboat.events.Topics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * The chart as Helm renders it: {@code helm lint} and {@code helm template} (helm-java, the Helm library itself) with
 * the two example values files, every object parsed strictly into its Kubernetes model, and what matters asserted:
 * probes, a non-root read-only container, resources, secrets only as references, the agent's host paths and
 * tolerations, Strimzi's topics equal to the topics the services use, and the shipped alerts and dashboard.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("lifeboat");
    private static final Path EXAMPLES = Path.of("examples");
    private static final List<String> SERVICES = List.of("scheduler-service", "snapshot-service", "retention-service", "restore-service");

    @Test
    void lintPassesWithEachExampleOnTopOfTheDefaults(@TempDir Path temp) throws Exception {
        for (String example : List.of("values-external.yaml", "values-strimzi-cnpg.yaml")) {
            Path chart = copyWithValues(temp.resolve(example), EXAMPLES.resolve(example));
            LintResult lint = new Helm(chart).lint().strict().call();
            assertFalse(lint.isFailed(), example + ": " + lint.getMessages());
        }
    }

    @Test
    void theRequiredConnectionsAreNamedWhenMissing() {
        Exception e = assertThrows(Exception.class, () -> new Helm(CHART).template().withName("lifeboat").call());
        assertTrue(e.getMessage().contains("kafka.bootstrapServers is required"), e.getMessage());
        Exception noAgentCluster = assertThrows(Exception.class, () -> new Helm(CHART).template().withName("lifeboat")
                .withValuesFile(EXAMPLES.resolve("values-external.yaml")).set("agent.clusterId", "").call());
        assertTrue(noAgentCluster.getMessage().contains("agent.clusterId is required"), noAgentCluster.getMessage());
    }

    @Test
    void servicesRunAsNonRootReadOnlyWithProbesResourcesAndSecretsOnlyAsReferences() throws Exception {
        Map<String, List<JsonNode>> byKind = render("values-external.yaml");
        assertEquals(Map.of("ServiceAccount", 5, "Deployment", 4, "Service", 4, "PodDisruptionBudget", 4, "DaemonSet", 1),
                counts(byKind), "no monitoring objects unless asked for");
        byKind.get("ServiceAccount").forEach(document -> StrictModel.parse(document, ServiceAccount.class));
        byKind.get("Service").forEach(document -> StrictModel.parse(document, Service.class));
        byKind.get("PodDisruptionBudget").forEach(document -> StrictModel.parse(document, PodDisruptionBudget.class));

        List<String> seen = new ArrayList<>();
        for (JsonNode document : byKind.get("Deployment")) {
            Deployment deployment = StrictModel.parse(document, Deployment.class);
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            Container container = pod.getContainers().get(0);
            String name = container.getName();
            seen.add(name);
            assertTrue(pod.getSecurityContext().getRunAsNonRoot(), name);
            assertEquals(185L, pod.getSecurityContext().getRunAsUser(), name);
            assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem(), name);
            assertFalse(container.getSecurityContext().getAllowPrivilegeEscalation(), name);
            assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop(), name);
            assertFalse(pod.getAutomountServiceAccountToken(), name + " needs no Kubernetes API token");
            assertEquals("/q/health/ready", container.getReadinessProbe().getHttpGet().getPath(), name);
            assertEquals("/q/health/live", container.getLivenessProbe().getHttpGet().getPath(), name);
            assertEquals("/q/health/started", container.getStartupProbe().getHttpGet().getPath(), name);
            assertNotNull(container.getResources().getLimits().get("memory"), name + " has a memory limit");
            assertNotNull(container.getResources().getRequests().get("cpu"), name + " requests CPU");
            assertTrue(container.getVolumeMounts().stream().anyMatch(mount -> "/tmp".equals(mount.getMountPath())), name + " has a writable /tmp");
            Map<String, EnvVar> env = env(container);
            assertTrue(env.get("QUARKUS_DATASOURCE_PASSWORD").getValue() == null
                    && "lifeboat-db".equals(env.get("QUARKUS_DATASOURCE_PASSWORD").getValueFrom().getSecretKeyRef().getName()), name);
            assertEquals("jdbc:postgresql://pg.example.com:5432/lifeboat", env.get("QUARKUS_DATASOURCE_JDBC_URL").getValue(), name);
            assertEquals(!name.equals("scheduler-service"), env.containsKey("LIFEBOAT_S3_SECRET_KEY"), name + ": S3 only where it is used");
            if (env.containsKey("LIFEBOAT_S3_SECRET_KEY")) {
                assertEquals("lifeboat-s3", env.get("LIFEBOAT_S3_SECRET_KEY").getValueFrom().getSecretKeyRef().getName());
                assertEquals(null, env.get("LIFEBOAT_S3_SECRET_KEY").getValue());
            }
            assertEquals(2 == deployment.getSpec().getReplicas() || name.equals("retention-service"), true, name);
        }
        assertEquals(SERVICES, seen);
    }

    @Test
    void theAgentRunsOnControlPlaneNodesWithTheirEtcdPathsAndNoCapabilities() throws Exception {
        Map<String, List<JsonNode>> byKind = render("values-external.yaml");
        DaemonSet agent = StrictModel.parse(byKind.get("DaemonSet").get(0), DaemonSet.class);
        PodSpec pod = agent.getSpec().getTemplate().getSpec();
        assertTrue(pod.getHostNetwork(), "etcd listens on the node");
        assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
        assertEquals(Map.of("node-role.kubernetes.io/control-plane", ""), pod.getNodeSelector());
        assertTrue(pod.getTolerations().stream().anyMatch(t -> "node-role.kubernetes.io/control-plane".equals(t.getKey())
                && "NoSchedule".equals(t.getEffect())), pod.getTolerations().toString());
        Map<String, String> hostPaths = new TreeMap<>();
        for (Volume volume : pod.getVolumes()) {
            if (volume.getHostPath() != null) {
                hostPaths.put(volume.getName(), volume.getHostPath().getPath());
            }
        }
        assertEquals(Map.of("etcd-data-parent", "/var/lib", "manifests", "/etc/kubernetes/manifests", "etcd-pki", "/etc/kubernetes/pki/etcd",
                "agent-state", "/var/lib/lifeboat-agent"), hostPaths);
        Container container = pod.getContainers().get(0);
        Map<String, VolumeMount> mounts = new LinkedHashMap<>();
        container.getVolumeMounts().forEach(mount -> mounts.put(mount.getName(), mount));
        assertTrue(mounts.get("etcd-pki").getReadOnly(), "the agent only reads etcd's certificates");
        assertEquals("/etc/kubernetes/manifests", mounts.get("manifests").getMountPath());
        assertEquals("/var/lib", mounts.get("etcd-data-parent").getMountPath(), "the data dir is renamed within its parent on a REPLACE");
        assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());
        Map<String, EnvVar> env = env(container);
        assertEquals("prod-eu-1", env.get("LIFEBOAT_AGENT_CLUSTER_ID").getValue());
        assertEquals("static-pod", env.get("LIFEBOAT_AGENT_RUNTIME").getValue());
        assertEquals("etcd.yaml", env.get("LIFEBOAT_AGENT_STATIC_POD_ETCD_MANIFEST").getValue());
        assertEquals("kube-apiserver.yaml", env.get("LIFEBOAT_AGENT_STATIC_POD_PAUSE_MANIFESTS").getValue());
        assertEquals("/var/lib/etcd", env.get("LIFEBOAT_AGENT_ETCD_DATA_DIR").getValue());
        assertEquals("$(NODE_NAME)", env.get("LIFEBOAT_AGENT_MEMBER_NAME").getValue(), "kubeadm names each member after its node");
        assertEquals("/etc/kubernetes/pki/etcd/server.key", env.get("LIFEBOAT_AGENT_ETCD_TLS_KEY_FILE").getValue());
        assertEquals("http://lifeboat-snapshot-service.lifeboat.svc:8082", env.get("LIFEBOAT_AGENT_SNAPSHOT_SERVICE_URL").getValue());
        assertEquals("file:/etc/lifeboat/agent-token/token", env.get("LIFEBOAT_AGENT_SNAPSHOT_SERVICE_TOKEN").getValue());
    }

    @Test
    void strimziTopicsMonitoringAndTheDashboardComeFromTheOnePlaceEachIsDefined() throws Exception {
        Map<String, List<JsonNode>> byKind = render("values-strimzi-cnpg.yaml");
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (JsonNode topic : byKind.get("KafkaTopic")) {
            assertEquals("kafka.strimzi.io/v1beta2", topic.path("apiVersion").asText());
            assertEquals("events", topic.path("metadata").path("labels").path("strimzi.io/cluster").asText());
            assertEquals(3, topic.path("spec").path("replicas").asInt());
            topics.put(topic.path("spec").path("topicName").asText(), topic.path("spec").path("partitions").asInt());
        }
        assertEquals(new TreeMap<>(Topics.all()), new TreeMap<>(topics), "the chart's topics are the services' topics");

        assertEquals(4, byKind.get("ServiceMonitor").size());
        for (JsonNode monitor : byKind.get("ServiceMonitor")) {
            JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
            assertEquals("/q/metrics", endpoint.path("path").asText());
            assertEquals("lifeboat-metrics-token", endpoint.path("authorization").path("credentials").path("name").asText());
        }
        JsonNode rules = byKind.get("PrometheusRule").get(0).path("spec");
        JsonNode shipped = StrictModel.YAML.readTree(CHART.resolve("files/lifeboat-alerts.yml").toFile());
        assertEquals(shipped, rules, "the PrometheusRule holds the shipped alerts as they are, {{ $labels }} untouched");

        ConfigMap dashboard = StrictModel.parse(byKind.get("ConfigMap").get(0), ConfigMap.class);
        assertEquals("1", dashboard.getMetadata().getLabels().get("grafana_dashboard"));
        assertEquals(new ObjectMapper().readTree(CHART.resolve("files/lifeboat-dashboard.json").toFile()),
                new ObjectMapper().readTree(dashboard.getData().get("lifeboat-dashboard.json")));

        Map<String, EnvVar> snapshot = env(StrictModel.parse(byKind.get("Deployment").get(1), Deployment.class).getSpec().getTemplate().getSpec()
                .getContainers().get(0));
        assertEquals("k2026", snapshot.get("LIFEBOAT_ENCRYPTION_ACTIVE_KEY").getValue());
        assertEquals("/etc/lifeboat/encryption/k2025", snapshot.get("LIFEBOAT_ENCRYPTION_KEYS_K2025_FILE").getValue());
        assertEquals("https://keycloak.example.com/realms/platform", snapshot.get("QUARKUS_OIDC_AUTH_SERVER_URL").getValue());
    }

    @Test
    void aFieldItsKindDoesNotKnowIsAnErrorNamingWhereItIs() throws Exception {
        JsonNode typo = StrictModel.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: typo}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          readinessProbe: {httpGet: {path: /q/health/ready, port: 8080}, periodSecond: 10}
                """);
        AssertionError e = assertThrows(AssertionError.class, () -> StrictModel.parse(typo, Deployment.class));
        assertTrue(e.getMessage().contains("Deployment typo has fields its kind does not know")
                && e.getMessage().contains("readinessProbe.periodSecond"), e.getMessage());
    }

    private static Map<String, List<JsonNode>> render(String example) throws IOException {
        String rendered = new Helm(CHART).template().withName("lifeboat").withNamespace("lifeboat").withValuesFile(EXAMPLES.resolve(example)).call();
        Map<String, List<JsonNode>> byKind = new LinkedHashMap<>();
        try (YAMLParser parser = new com.fasterxml.jackson.dataformat.yaml.YAMLFactory().createParser(rendered)) {
            Iterator<JsonNode> documents = StrictModel.YAML.readValues(parser, JsonNode.class);
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document == null || document.isMissingNode() || document.isEmpty()) {
                    continue;
                }
                byKind.computeIfAbsent(document.path("kind").asText(), kind -> new ArrayList<>()).add(document);
            }
        }
        return byKind;
    }

    private static Map<String, Integer> counts(Map<String, List<JsonNode>> byKind) {
        Map<String, Integer> counts = new TreeMap<>();
        byKind.forEach((kind, documents) -> counts.put(kind, documents.size()));
        return counts;
    }

    private static Map<String, EnvVar> env(Container container) {
        Map<String, EnvVar> env = new LinkedHashMap<>();
        container.getEnv().forEach(variable -> env.put(variable.getName(), variable));
        return env;
    }

    /** The chart in {@code dir}, with {@code example} merged over its default values (helm lint takes no values file). */
    private static Path copyWithValues(Path dir, Path example) throws IOException {
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = dir.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        JsonNode defaults = StrictModel.YAML.readTree(CHART.resolve("values.yaml").toFile());
        merge((ObjectNode) defaults, StrictModel.YAML.readTree(example.toFile()));
        StrictModel.YAML.writeValue(dir.resolve("values.yaml").toFile(), defaults);
        return dir;
    }

    private static void merge(ObjectNode into, JsonNode from) {
        from.fields().forEachRemaining(field -> {
            JsonNode existing = into.get(field.getKey());
            if (existing instanceof ObjectNode object && field.getValue().isObject()) {
                merge(object, field.getValue());
            } else {
                into.set(field.getKey(), field.getValue());
            }
        });
    }
}
