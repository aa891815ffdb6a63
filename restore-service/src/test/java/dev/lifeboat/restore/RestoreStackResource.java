package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.QuarkusService;

/**
 * The local stack plus the services a restore talks to, run from their built jars as in production:
 * scheduler-service (clusters, pause and resume) and snapshot-service (the backups to restore, zstd
 * and encrypted with key {@code k1}). restore-service gets {@code k1} and a second key {@code k2}
 * that decrypts nothing of it, for the wrong-key test. The builds of both services must exist: the
 * reactor builds them before restore-service.
 */
public class RestoreStackResource extends LocalStackResource {

    private static final List<QuarkusService> PEERS = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        super.start();
        return startPeers(stack(), PEERS);
    }

    @Override
    public void stop() {
        PEERS.forEach(QuarkusService::close);
        PEERS.clear();
        super.stop();
    }

    /**
     * Starts scheduler-service and snapshot-service on the stack (added to {@code started}); returns the
     * configuration of a restore-service beside them, with {@code test.scheduler.url}.
     */
    static Map<String, String> startPeers(LocalStack stack, List<QuarkusService> started) {
        return startPeers(stack, started, Path.of("..").toAbsolutePath().normalize());
    }

    /** The same, with the services' builds under {@code repo} (the repository root). */
    public static Map<String, String> startPeers(LocalStack stack, List<QuarkusService> started, Path repo) {
        Map<String, String> config = new HashMap<>(stack.quarkusConfig());
        Path runDir = stack.options().runDir();
        Path k1 = writeKey(runDir.resolve("keys").resolve("k1"));
        Path k2 = writeKey(runDir.resolve("keys").resolve("k2"));
        Map<String, String> peer = new HashMap<>(config);
        peer.remove("local-stack.etcd-endpoints");
        Map<String, String> snapshots = new HashMap<>(peer);
        snapshots.put("lifeboat.capture.base-request-delay", "2s");
        // every delta records the keyspace fingerprint at its end: the points point-in-time drills check
        snapshots.put("lifeboat.capture.fingerprint-every", "0s");
        snapshots.put("lifeboat.encryption.active-key", "k1");
        snapshots.put("lifeboat.encryption.keys.k1.file", k1.toString());
        CompletableFuture<QuarkusService> scheduler = CompletableFuture.supplyAsync(() -> QuarkusService
                .startOnFreePort(repo, "scheduler-service", "scheduler-service", peer, runDir).awaitReady(Duration.ofSeconds(120)));
        CompletableFuture<QuarkusService> snapshot = CompletableFuture.supplyAsync(() -> QuarkusService
                .startOnFreePort(repo, "snapshot-service", "snapshot-service", snapshots, runDir).awaitReady(Duration.ofSeconds(120)));
        started.add(scheduler.join());
        started.add(snapshot.join());
        config.put("test.scheduler.url", scheduler.join().url());
        config.put("test.snapshot.url", snapshot.join().url());
        config.put("lifeboat.encryption.keys.k1.file", k1.toString());
        config.put("lifeboat.encryption.keys.k2.file", k2.toString());
        return config;
    }

    private static Path writeKey(Path file) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, Base64.getEncoder().encodeToString(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
