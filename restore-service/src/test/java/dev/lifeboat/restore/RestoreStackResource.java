package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;

/**
 * The local stack plus the services a restore talks to, run from their built jars as in production:
 * scheduler-service (clusters, pause and resume) and snapshot-service (the backups to restore, zstd
 * and encrypted with key {@code k1}). restore-service gets {@code k1} and a second key {@code k2}
 * that decrypts nothing of it, for the wrong-key test. The builds of both services must exist: the
 * reactor builds them before restore-service.
 */
public class RestoreStackResource extends LocalStackResource {

    private static final List<QuarkusService> PEERS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        Path runDir = stack().options().runDir();
        Path keys = runDir.resolve("keys");
        Path k1 = writeKey(keys.resolve("k1"));
        Path k2 = writeKey(keys.resolve("k2"));
        Map<String, String> peer = new HashMap<>(config);
        peer.remove("local-stack.etcd-endpoints");
        peer.put("quarkus.otel.traces.exporter", "none");
        Map<String, String> snapshots = new HashMap<>(peer);
        snapshots.put("lifeboat.encryption.active-key", "k1");
        snapshots.put("lifeboat.encryption.keys.k1.file", k1.toString());
        Path repo = Path.of("..").toAbsolutePath().normalize();
        CompletableFuture<QuarkusService> scheduler = CompletableFuture.supplyAsync(() -> QuarkusService
                .start(repo, "scheduler-service", "scheduler-service", Ports.free(), peer, runDir).awaitReady(java.time.Duration.ofSeconds(120)));
        CompletableFuture<QuarkusService> snapshot = CompletableFuture.supplyAsync(() -> QuarkusService
                .start(repo, "snapshot-service", "snapshot-service", Ports.free(), snapshots, runDir).awaitReady(java.time.Duration.ofSeconds(120)));
        PEERS.add(scheduler.join());
        PEERS.add(snapshot.join());
        config.put("test.scheduler.url", PEERS.get(0).url());
        config.put("test.snapshot.url", PEERS.get(1).url());
        config.put("lifeboat.encryption.keys.k1.file", k1.toString());
        config.put("lifeboat.encryption.keys.k2.file", k2.toString());
        return config;
    }

    @Override
    public void stop() {
        PEERS.forEach(QuarkusService::close);
        PEERS.clear();
        super.stop();
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
