package dev.lifeboat.agent.drill;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.agent.etcd.EtcdProcessException;
import dev.lifeboat.agent.etcd.HealthProbe;
import dev.lifeboat.agent.etcd.RestoreTool;

/**
 * A throwaway etcd for a restore drill: the agent's own etcd binary on a restored data dir, listening on 127.0.0.1 only,
 * on two free ports that are never the member's, in plain HTTP (nothing leaves the host). Its pid is written beside the
 * data dir so that a drill interrupted by a crash is cleaned up at the next start ({@link Drills#sweep}). Closing it
 * stops the process; the caller removes the directory.
 */
final class ScratchEtcd implements AutoCloseable {

    private final Process process;
    private final String endpoint;
    private final Path log;

    private ScratchEtcd(Process process, String endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    /**
     * Starts etcd on {@code dataDir} (restored as member {@code name} with {@code peerPort}) and waits until it answers
     * {@code /health}; fails with etcd's last words when it exits or does not become healthy within {@code within}.
     */
    static ScratchEtcd start(String binary, Path dataDir, String name, int clientPort, int peerPort, Duration within) {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of(binary, "--name", name, "--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", name + "=" + peer,
                // a large db restores and serves reads; the quota only limits writes, which a drill makes none of
                "--quota-backend-bytes", Long.toString(8L << 30)));
        Path log = dataDir.resolveSibling("etcd.log");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new EtcdProcessException("cannot start the drill's scratch etcd (" + binary + "): " + e.getMessage());
        }
        try {
            // written whole or not at all: a reader (the sweep after a crash) never sees an empty or partial pid
            Path pending = dataDir.resolveSibling("etcd.pid.pending");
            Files.writeString(pending, Long.toString(process.pid()));
            Files.move(pending, dataDir.resolveSibling("etcd.pid"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new EtcdProcessException("cannot record the pid of the drill's scratch etcd: " + e.getMessage());
        }
        ScratchEtcd etcd = new ScratchEtcd(process, client, log);
        try {
            etcd.awaitHealthy(within);
            return etcd;
        } catch (RuntimeException e) {
            etcd.close();
            throw e;
        }
    }

    private void awaitHealthy(Duration within) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HealthProbe.await(http, endpoint, within, Duration.ofMillis(100), () -> {
            if (!process.isAlive()) {
                throw new EtcdProcessException("the scratch etcd exited with code " + process.exitValue() + ": " + RestoreTool.tail(log));
            }
        }, last -> "the scratch etcd was not healthy within " + within.toSeconds() + " s (" + last + "): " + RestoreTool.tail(log));
    }

    String endpoint() {
        return endpoint;
    }

    /**
     * Two free ports on 127.0.0.1 that are none of {@code taken} (the member's own client and peer ports): a drill
     * must never answer on the cluster's address, even for a moment.
     */
    static int[] freePorts(Set<Integer> taken) {
        return freePorts(taken, () -> {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new EtcdProcessException("cannot find a free port for the drill's scratch etcd: " + e.getMessage());
            }
        });
    }

    /** Two different ports of {@code source} (the system's free ports) that are not in {@code taken} (the member's). */
    static int[] freePorts(Set<Integer> taken, java.util.function.IntSupplier source) {
        int[] ports = new int[2];
        for (int i = 0, tries = 0; i < 2; tries++) {
            if (tries > 50) {
                throw new EtcdProcessException("no two free ports on 127.0.0.1 for the drill's scratch etcd");
            }
            int port = source.getAsInt();
            if (!taken.contains(port) && (i == 0 || port != ports[0])) {
                ports[i++] = port;
            }
        }
        return ports;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
