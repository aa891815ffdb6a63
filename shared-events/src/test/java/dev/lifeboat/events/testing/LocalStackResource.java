package dev.lifeboat.events.testing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.Topics;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.LocalStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points a {@code @QuarkusTest} at the real servers of the local stack: one stack per test JVM (per
 * application start, when test profiles restart it), started on first use, with every Lifeboat topic. Extra topics a test needs are given as the init
 * argument {@code topics} ({@code name:partitions,...}). The services verify tokens signed by the stack's key;
 * REST Assured calls carry an admin token ({@link #adminToken()}) unless a test gives its own Authorization header
 * (or calls {@code given().noFilters()} to send none).
 */
public class LocalStackResource implements QuarkusTestResourceLifecycleManager {

    private static volatile String adminToken;
    private static volatile LocalStack started;

    private final Map<String, Integer> topics = new LinkedHashMap<>(Topics.all());
    private EtcdRelease release = EtcdRelease.DEFAULT;
    private boolean tls;

    /** Init arguments: {@code topics}, {@code etcd-version} (3.4 or 3.5, default 3.5), {@code etcd-tls} (true: https with client certificates). */
    @Override
    public void init(Map<String, String> initArgs) {
        release = EtcdRelease.of(initArgs.getOrDefault("etcd-version", EtcdRelease.DEFAULT.version()));
        tls = Boolean.parseBoolean(initArgs.getOrDefault("etcd-tls", "false"));
        String extra = initArgs.getOrDefault("topics", "");
        for (String topic : extra.split(",")) {
            if (!topic.isBlank()) {
                String[] parts = topic.trim().split(":");
                topics.put(parts[0], parts.length > 1 ? Integer.parseInt(parts[1]) : 1);
            }
        }
    }

    @Override
    public Map<String, String> start() {
        LocalStack stack = stack();
        started = stack;
        adminToken = RestAssuredTokens.useAdminTokenOf(stack);
        return stack.quarkusConfig();
    }

    /** An admin token of the stack, for calls that do not go through REST Assured. */
    public static String adminToken() {
        return adminToken;
    }

    /** A token of the stack for {@code subject} with {@code roles}, limited to {@code clusters} (none: all), valid for an hour. */
    public static String token(String subject, List<String> roles, List<String> clusters) {
        return started.token(subject, roles, clusters, Duration.ofHours(1));
    }

    /** The JVM's stack, for tests that talk to etcd, Kafka, S3 or PostgreSQL directly. */
    public LocalStack stack() {
        return LocalStack.shared(topics, release, tls);
    }

    /**
     * Called when Quarkus stops the application: after the last test class, or before a test profile
     * restarts it (then the next start brings up a fresh stack in the new class loader).
     */
    @Override
    public void stop() {
        LocalStack.stopShared();
    }
}
