package dev.lifeboat.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the kubelet does with a static pod folder, for tests of the etcd-agent's static-pod runtime on a machine with
 * no kubelet: every 100 ms it looks at the folder; a manifest that appears is run (its first container's
 * {@code command}, as a process, output to {@code <log dir>/<manifest>.log}), one that goes is stopped (SIGTERM, then
 * SIGKILL after 30 s), one that changes is stopped and run again, and a process that exits on its own is run again
 * after a second (restartPolicy Always). Hidden files are ignored, as the kubelet ignores them. Every start and stop
 * is recorded, in order, for a test to check.
 *
 * <p>Only what the tests write is understood: a manifest whose container command is a YAML block list
 * ({@code command:} followed by {@code - item} lines), as kubeadm writes them.
 */
public final class KubeletStandIn implements AutoCloseable {

    /** One start or stop of a manifest's process. */
    public record Event(Instant at, String manifest, String what, long pid) {
    }

    private static final Pattern ITEM = Pattern.compile("^(\\s*)- (.*)$");

    private record Pod(String content, Process process, Instant exitedAt) {
    }

    private final Path manifestsDir;
    private final Path logDir;
    private final Map<String, Pod> pods = new HashMap<>();
    private final List<Event> events = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    private KubeletStandIn(Path manifestsDir, Path logDir) {
        this.manifestsDir = manifestsDir;
        this.logDir = logDir;
        this.loop = new Thread(this::run, "kubelet-stand-in");
        this.loop.setDaemon(true);
    }

    /** Starts watching {@code manifestsDir} (created if missing); returns after the first look, its pods started. */
    public static KubeletStandIn start(Path manifestsDir, Path logDir) {
        try {
            Files.createDirectories(manifestsDir);
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KubeletStandIn kubelet = new KubeletStandIn(manifestsDir, logDir);
        kubelet.sync();
        kubelet.loop.start();
        return kubelet;
    }

    /** The first container's command of a manifest. */
    public static List<String> command(String manifest) {
        List<String> command = new ArrayList<>();
        String[] lines = manifest.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].strip().replaceFirst("^- ", "").equals("command:")) {
                continue;
            }
            for (int j = i + 1; j < lines.length; j++) {
                Matcher item = ITEM.matcher(lines[j]);
                if (!item.matches()) {
                    break;
                }
                command.add(unquote(item.group(2).strip()));
            }
            return command;
        }
        throw new IllegalArgumentException("no command in manifest");
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** A static pod manifest that runs {@code command}, in the shape kubeadm writes. */
    public static String manifest(String name, List<String> command) {
        StringBuilder text = new StringBuilder("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: kube-system
                spec:
                  hostNetwork: true
                  containers:
                  - name: %s
                    command:
                """.formatted(name, name));
        for (String part : command) {
            text.append("    - ").append(part).append('\n');
        }
        return text.toString();
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(100);
                sync();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.err.println("kubelet stand-in: " + e.getMessage());
            }
        }
    }

    private synchronized void sync() {
        if (closed) {
            return;
        }
        Map<String, String> seen = new HashMap<>();
        try (Stream<Path> files = Files.list(manifestsDir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(file)) {
                    seen.put(name, Files.readString(file));
                }
            }
        } catch (IOException e) {
            // A file renamed away between listing and reading: the next look sees the folder as it is.
            return;
        }
        for (String name : List.copyOf(pods.keySet())) {
            Pod pod = pods.get(name);
            String content = seen.get(name);
            if (content == null || !content.equals(pod.content())) {
                stop(name, pod);
                pods.remove(name);
            }
        }
        for (Map.Entry<String, String> manifest : seen.entrySet()) {
            Pod pod = pods.get(manifest.getKey());
            if (pod == null) {
                pods.put(manifest.getKey(), launch(manifest.getKey(), manifest.getValue()));
            } else if (pod.process() == null || !pod.process().isAlive()) {
                if (pod.exitedAt() == null) {
                    record(manifest.getKey(), "exited " + pod.process().exitValue(), pod.process().pid());
                    pods.put(manifest.getKey(), new Pod(pod.content(), pod.process(), Instant.now()));
                } else if (Duration.between(pod.exitedAt(), Instant.now()).toMillis() >= 1000) {
                    pods.put(manifest.getKey(), launch(manifest.getKey(), manifest.getValue()));
                }
            }
        }
    }

    private Pod launch(String name, String content) {
        try {
            Process process = new ProcessBuilder(command(content)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".log").toFile())).start();
            record(name, "started", process.pid());
            return new Pod(content, process, null);
        } catch (IOException | IllegalArgumentException e) {
            record(name, "cannot start: " + e.getMessage(), -1);
            return new Pod(content, null, Instant.now());
        }
    }

    private void stop(String name, Pod pod) {
        Process process = pod.process();
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        record(name, "stopped", process.pid());
    }

    private void record(String manifest, String what, long pid) {
        synchronized (events) {
            events.add(new Event(Instant.now(), manifest, what, pid));
        }
    }

    /** Every start and stop so far, oldest first. */
    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The pid of a manifest's running process, or -1. */
    public synchronized long pid(String manifest) {
        Pod pod = pods.get(manifest);
        return pod != null && pod.process() != null && pod.process().isAlive() ? pod.process().pid() : -1;
    }

    /** Stops watching and stops every process it runs. */
    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        synchronized (this) {
            pods.forEach(this::stop);
            pods.clear();
        }
    }
}
