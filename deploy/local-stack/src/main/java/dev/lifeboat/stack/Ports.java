package dev.lifeboat.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;

/** Port choice and reachability checks, all on 127.0.0.1. */
public final class Ports {

    public static final String HOST = "127.0.0.1";

    /**
     * Free ports are picked below Linux's ephemeral range (32768–60999), where the kernel takes the local
     * port of every outgoing connection: a port picked there can be taken by a client connection of the
     * stack before the server that was to listen on it starts (a CI run saw it).
     */
    private static final int LOWEST = 20_000;
    private static final int HIGHEST = 32_000;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.Random RANDOM = new java.util.Random();

    private Ports() {
    }

    /** A port that is free now and was handed out to no one else in this JVM; tests use these so parallel builds never collide. */
    public static int free() {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = LOWEST + RANDOM.nextInt(HIGHEST - LOWEST);
            if (HANDED_OUT.add(port) && bindable(port)) {
                return port;
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new StackException("no free TCP port on " + HOST + ": " + e.getMessage(), e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port that was to be listened on is taken by another process. */
    public static final class PortInUseException extends StackException {
        PortInUseException(String message) {
            super(message);
        }
    }

    /** Fails with one clear line when a fixed port of make run is already taken. */
    public static void requireFree(int port, String owner) {
        if (!bindable(port)) {
            throw new PortInUseException("port " + port + " (" + owner + ") on " + HOST
                    + " is already in use: stop what listens there (ss -ltnp 'sport = :" + port
                    + "') or choose another port");
        }
    }

    public static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 250);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until the port accepts connections, failing with the piece's name after the timeout. */
    public static void awaitAccepting(int port, String owner, Duration timeout, ManagedProcess process) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (accepts(port)) {
                return;
            }
            if (process != null) {
                process.requireAlive();
            }
            sleep(Duration.ofMillis(100));
        }
        throw new StackException(owner + " did not accept connections on " + HOST + ":" + port
                + " within " + timeout.toSeconds() + " s" + (process == null ? "" : "; see " + process.logFile()));
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while waiting", e);
        }
    }
}
