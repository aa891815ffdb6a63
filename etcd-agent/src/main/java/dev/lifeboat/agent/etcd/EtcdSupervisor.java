package dev.lifeboat.agent.etcd;

import dev.lifeboat.events.work.Backoff;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.tokens.PemTls;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Runs the member's etcd process: starts it with its flags, stops it (SIGTERM, then SIGKILL), and
 * restarts it with back-off when it exits on its own while it should run. Whoever wants etcd down
 * (a restore) says so with {@link #stop()}; {@link #start()} wants it up again.
 *
 * <p>With {@code lifeboat.agent.runtime=static-pod} the kubelet runs etcd and the agent never starts or signals a
 * process: {@link #stop()} moves the manifests aside and waits until etcd is gone, {@link #start()} moves etcd's back
 * (after the same data dir check), and the paused components (the API server) come back once etcd serves
 * ({@link StaticPods}).
 */
@ApplicationScoped
public class EtcdSupervisor {

    private final AgentConfig config;
    private final AgentConfig.Etcd etcd;
    private final DataDirGuard guard;
    private final HttpClient http;
    private Process process;
    /** Why the data dir check keeps etcd from starting; null when it passed. */
    private String refusal;
    private boolean wanted;
    private int restarts;
    private Instant startedAt;
    private String lastExit;
    private Thread watcher;
    /** The static-pod runtime; null when the agent runs etcd as its own process. */
    private final StaticPods pods;

    public EtcdSupervisor(AgentConfig config, DataDirGuard guard) {
        this.config = config;
        this.guard = guard;
        this.etcd = config.etcd();
        this.pods = STATIC_POD.equals(config.runtime()) ? staticPods(config) : null;
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        tlsFiles().ifPresent(files -> client.sslContext(PemTls.clientContext(files[0], files[1], files[2])));
        this.http = client.build();
    }

    /** The runtime name of a member the kubelet runs from a static pod manifest. */
    public static final String STATIC_POD = "static-pod";

    private static StaticPods staticPods(AgentConfig config) {
        AgentConfig.StaticPod pod = config.staticPod();
        Path stateDir = Path.of(config.stateDir().orElse(config.etcd().dataDir() + ".agent"));
        List<String> paused = pod.pauseManifests().stream().filter(name -> !name.equals("none")).toList();
        return new StaticPods(Path.of(pod.manifestsDir()), pod.etcdManifest(), paused,
                pod.asideDir().map(Path::of).orElse(stateDir.resolve("manifests-aside")), pod.stopTimeout(), config.etcd().clientUrl(),
                Path.of(config.etcd().dataDir()));
    }

    /** The static-pod runtime's checks at start (see {@link StaticPods#validate}); nothing for the process runtime. */
    public void validateRuntime() {
        if (pods != null) {
            pods.validate(dataDir());
        }
    }

    /** Whether the agent runs etcd itself (and so stops it when the agent stops); false for a kubelet's static pod. */
    public boolean ownsProcess() {
        return pods == null;
    }

    /**
     * The member's CA, certificate and key when TLS is configured (all three or none; a part is refused at start,
     * naming the key that is missing).
     */
    private Optional<Path[]> tlsFiles() {
        AgentConfig.Tls tls = etcd.tls();
        if (tls.caFile().isEmpty() && tls.certFile().isEmpty() && tls.keyFile().isEmpty()) {
            return Optional.empty();
        }
        if (tls.caFile().isEmpty() || tls.certFile().isEmpty() || tls.keyFile().isEmpty()) {
            throw new EtcdProcessException("lifeboat.agent.etcd.tls needs ca-file, cert-file and key-file together");
        }
        return Optional.of(new Path[] {Path.of(tls.caFile().get()), Path.of(tls.certFile().get()), Path.of(tls.keyFile().get())});
    }

    /**
     * Starts etcd unless it runs; does not wait for it to be healthy. When the data dir check refuses, etcd stays
     * stopped, the reason is reported, and the check runs again with back-off until it passes.
     */
    public synchronized void start() {
        wanted = true;
        if (pods != null) {
            // An etcd the kubelet runs already (its manifest in place) is left alone: the check is for the agent's own starts.
            if (!pods.etcdInPlace()) {
                checkAndLaunch();
            }
        } else if (process != null && process.isAlive()) {
            return;
        } else {
            checkAndLaunch();
        }
        if (watcher == null) {
            watcher = new Thread(pods != null ? this::watchStaticPod : this::watch, "etcd-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /** Starts etcd and waits until it answers healthy; fails with what went wrong and where its log is. */
    public void startAndAwaitHealthy() {
        start();
        awaitHealthy();
    }

    /** Launches etcd if the data dir passes its check; otherwise records why not (and leaves no process). */
    private void checkAndLaunch() {
        String refused = guard.check(dataDir()).orElse(null);
        if (refused != null) {
            if (!refused.equals(refusal)) {
                Log.errorf("etcd member %s is not started: %s", config.memberName(), refused);
            }
            refusal = refused;
            process = null;
            return;
        }
        if (refusal != null) {
            Log.infof("etcd member %s: the data dir passes its check now; starting etcd", config.memberName());
        }
        refusal = null;
        if (pods != null) {
            pods.startEtcd();
            startedAt = Instant.now();
        } else {
            launch();
        }
    }

    /** Why etcd is kept from starting (the data dir check), or null. */
    public synchronized String refusal() {
        return refusal;
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(etcd.binary(),
                "--name", config.memberName(),
                "--data-dir", dataDir().toString(),
                "--listen-client-urls", etcd.clientUrl(),
                "--advertise-client-urls", etcd.clientUrl(),
                "--listen-peer-urls", etcd.peerUrl(),
                "--initial-advertise-peer-urls", etcd.peerUrl(),
                "--initial-cluster", etcd.initialCluster().orElse(config.memberName() + "=" + etcd.peerUrl()),
                "--initial-cluster-token", etcd.initialClusterToken(),
                "--initial-cluster-state", "new"));
        tlsFiles().ifPresent(files -> command.addAll(List.of("--cert-file", files[1].toString(), "--key-file", files[2].toString(),
                "--client-cert-auth", "--trusted-ca-file", files[0].toString(), "--peer-cert-file", files[1].toString(), "--peer-key-file",
                files[2].toString(), "--peer-client-cert-auth", "--peer-trusted-ca-file", files[0].toString())));
        etcd.extraArgs().ifPresent(command::addAll);
        Path log = logFile();
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            startedAt = Instant.now();
            Files.writeString(pidFile(), Long.toString(process.pid()));
            Log.infof("etcd member %s started (pid %d, data dir %s, log %s)", config.memberName(), process.pid(), dataDir(), log);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot start etcd (" + etcd.binary() + "): " + e.getMessage());
        }
    }

    /**
     * Stops an etcd that an earlier agent started and did not stop (the agent was killed while its etcd
     * lived on, as on a VM): it still holds the data dir and the ports. Its pid is in
     * {@code <data-dir>.pid}; it is stopped only if that process is still an etcd. Called before
     * anything else at start.
     */
    public void stopLeftover() {
        if (pods != null) {
            return;
        }
        Path pidFile = pidFile();
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(handle -> handle.info().command().map(command -> command.endsWith("etcd")).orElse(false))
                    .ifPresent(leftover -> {
                        Log.warnf("stopping etcd (pid %d) left running by an earlier etcd-agent of member %s", pid, config.memberName());
                        leftover.destroy();
                        try {
                            leftover.onExit().get(30, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            leftover.destroyForcibly();
                        }
                    });
            Files.deleteIfExists(pidFile);
        } catch (IOException | NumberFormatException e) {
            Log.warnf("cannot read %s: %s", pidFile, e.getMessage());
        }
    }

    /** Stops etcd and keeps it stopped until the next {@link #start()}. */
    public void stop() {
        Process running;
        synchronized (this) {
            wanted = false;
            running = process;
        }
        if (pods != null) {
            pods.stop();
            lastExit = "stopped by the agent (manifest aside) at " + Instant.now();
            Log.infof("etcd member %s stopped: the kubelet removed its static pod", config.memberName());
            return;
        }
        if (running == null || !running.isAlive()) {
            return;
        }
        running.destroy();
        try {
            if (!running.waitFor(30, TimeUnit.SECONDS)) {
                Log.warnf("etcd member %s did not stop within 30 s of SIGTERM; killing it", config.memberName());
                running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        }
        Log.infof("etcd member %s stopped", config.memberName());
    }

    /**
     * The static-pod runtime's watcher: while the data dir check keeps etcd's manifest aside, checks again with
     * back-off; while paused manifests wait for etcd, puts them back once it serves. Sleeps otherwise.
     */
    private void watchStaticPod() {
        Duration backoff = config.restartBackoff();
        while (true) {
            try {
                Thread.sleep(backoff.toMillis());
                boolean refused;
                synchronized (this) {
                    if (wanted && refusal != null) {
                        checkAndLaunch();
                    }
                    refused = refusal != null;
                }
                backoff = refused ? Backoff.doubled(backoff, config.restartMaxBackoff()) : config.restartBackoff();
                if (!refused && isWanted() && !pods.paused().isEmpty() && healthy()) {
                    synchronized (this) {
                        if (wanted) {
                            pods.resumePaused();
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                Log.errorf("etcd member %s: %s", config.memberName(), e.getMessage());
                try {
                    Thread.sleep(config.restartMaxBackoff().toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private synchronized boolean isWanted() {
        return wanted;
    }

    /** One look at etcd's {@code /health}. */
    private boolean healthy() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(etcd.clientUrl() + "/health")).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Restarts an etcd that exited while it should run, waiting longer after each exit in a row. */
    private void watch() {
        Duration backoff = config.restartBackoff();
        while (true) {
            Process current;
            synchronized (this) {
                current = process;
            }
            try {
                if (current == null) {
                    // The data dir check refused: look again after a while (the operator may fix it, a restore replaces it).
                    Thread.sleep(backoff.toMillis());
                    synchronized (this) {
                        if (wanted && process == null) {
                            checkAndLaunch();
                        }
                    }
                    backoff = Backoff.doubled(backoff, config.restartMaxBackoff());
                    continue;
                }
                int code = current.waitFor();
                synchronized (this) {
                    if (!wanted || current != process) {
                        if (current == process) {
                            lastExit = "stopped by the agent (exit " + code + ")";
                        }
                        wait(1000);
                        continue;
                    }
                    lastExit = "exited on its own with code " + code + " at " + Instant.now();
                }
                boolean ranLong = startedAt != null && Duration.between(startedAt, Instant.now()).compareTo(Duration.ofMinutes(1)) > 0;
                if (ranLong) {
                    backoff = config.restartBackoff();
                }
                Log.warnf("etcd member %s exited with code %d; restarting in %d ms (see %s)", config.memberName(), code, backoff.toMillis(),
                        logFile());
                Thread.sleep(backoff.toMillis());
                synchronized (this) {
                    if (wanted && (process == current)) {
                        restarts++;
                        checkAndLaunch();
                    }
                }
                backoff = Backoff.doubled(backoff, config.restartMaxBackoff());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                Log.errorf("etcd member %s cannot be restarted: %s", config.memberName(), e.getMessage());
                try {
                    Thread.sleep(config.restartMaxBackoff().toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Waits until etcd's {@code /health} says true; fails after the configured health timeout. */
    public void awaitHealthy() {
        awaitHealthy(config.healthTimeout(), false, () -> null);
    }

    /**
     * Waits until etcd's {@code /health} says true, at most {@code within}; with {@code failOnExit}, fails as soon as
     * the etcd running now exits on its own (it cannot serve this data dir) instead of waiting through its restarts.
     * A member of a restored multi-member cluster waits here for its peers (quorum) as long as the restore lets it;
     * {@code giveUp} says why to stop waiting early (null: keep waiting).
     */
    public void awaitHealthy(Duration within, boolean failOnExit, java.util.function.Supplier<String> giveUp) {
        Process first;
        synchronized (this) {
            first = process;
        }
        HealthProbe.await(http, etcd.clientUrl(), within, Duration.ofMillis(200), () -> {
            Process current;
            synchronized (this) {
                current = process;
            }
            if ((current != null && !current.isAlive() || pods != null) && !isWanted()) {
                throw new EtcdProcessException("etcd is stopped");
            }
            String stop = giveUp.get();
            if (stop != null) {
                throw new EtcdProcessException("stopped waiting for etcd member " + config.memberName() + " to serve: " + stop);
            }
            if (failOnExit && first != null && (current != first || !first.isAlive())) {
                throw new EtcdProcessException("etcd member " + config.memberName() + " exited on its own instead of serving (" + (lastExit == null
                        ? "exit " + (first.isAlive() ? "unknown" : first.exitValue()) : lastExit) + "; log: " + logFile() + ")");
            }
            String refused = refusal();
            if (refused != null) {
                throw new EtcdProcessException("etcd was not started: " + refused);
            }
        }, last -> "etcd member " + config.memberName() + " was not healthy within " + within.toSeconds() + " s (" + last + "; "
                + (lastExit == null ? "" : "last exit: " + lastExit + "; ") + (pods != null ? "the kubelet runs it" : "log: " + logFile()) + ")");
        if (pods != null) {
            synchronized (this) {
                if (wanted) {
                    pods.resumePaused();
                }
            }
        }
        recordServed();
    }

    /** Whether etcd should be serving now: its process runs, or its static pod manifest is in the kubelet's folder. */
    public synchronized boolean shouldServe() {
        return pods != null ? wanted && pods.etcdInPlace() : process != null && process.isAlive();
    }

    /** Records that etcd serves the member's data (for the data dir check); a status that cannot be read is left for next time. */
    public void recordServed() {
        try {
            guard.recordServed(status());
        } catch (EtcdProcessException e) {
            Log.debugf("cannot record what etcd serves: %s", e.getMessage());
        }
    }

    /** The member's revision and cluster id as etcd reports them (its JSON gateway's maintenance status). */
    public Status status() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(etcd.clientUrl() + "/v3/maintenance/status"))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new EtcdProcessException("etcd's status answered " + response.statusCode());
            }
            JsonNode body = EventCodec.json().readTree(response.body());
            JsonNode header = body.path("header");
            return new Status(header.path("revision").asLong(), header.path("cluster_id").asText(), body.path("version").asText());
        } catch (IOException e) {
            throw new EtcdProcessException("cannot read etcd's status at " + etcd.clientUrl() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdProcessException("interrupted while reading etcd's status");
        }
    }

    public record Status(long revision, String clusterId, String version) {
    }

    /** What the agent's REST API shows about the process. */
    public synchronized Map<String, Object> describe() {
        Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("runtime", pods != null ? STATIC_POD : "process");
        if (pods != null) {
            view.putAll(pods.describe());
        }
        view.put("running", pods != null ? wanted && pods.etcdInPlace() : process != null && process.isAlive());
        view.put("wanted", wanted);
        view.put("pid", process != null && process.isAlive() ? process.pid() : null);
        view.put("restarts", restarts);
        view.put("startedAt", startedAt);
        view.put("lastExit", lastExit);
        view.put("refusal", refusal);
        view.put("dataDir", dataDir().toString());
        view.put("clientUrl", etcd.clientUrl());
        return view;
    }

    public synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    public synchronized int restarts() {
        return restarts;
    }

    public Path dataDir() {
        return Path.of(etcd.dataDir()).toAbsolutePath();
    }

    private Path pidFile() {
        return Path.of(etcd.dataDir() + ".pid").toAbsolutePath();
    }

    private Path logFile() {
        return Path.of(etcd.logFile().orElse(etcd.dataDir() + ".log")).toAbsolutePath();
    }
}
