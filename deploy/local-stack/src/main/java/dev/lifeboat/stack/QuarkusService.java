package dev.lifeboat.stack;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * A Lifeboat service run from its built Quarkus application ({@code <module>/target/quarkus-app}) as a
 * child JVM — for {@code make run} and the benchmarks. Configuration goes in through environment
 * variables (Quarkus' standard mapping), never the command line, where any user could read a secret.
 */
public final class QuarkusService implements AutoCloseable {

    /**
     * JVM settings that keep a service's resident memory small and flat (measured with snapshot-service
     * streaming 0.5 and 2 GB snapshots and capturing deltas under 5,000 puts/s, {@code make bench-delta}):
     * a bounded heap with a small young generation (24 MB: the services' garbage is short-lived stream
     * buffers) that is given back when free (heap free ratios 10–40 %); bounded direct memory; one Netty
     * arena and two malloc arenas; and C2 without tiered compilation — a fraction of the code cache and
     * of the compiler's arenas, while SHA-256 and the other hot loops still get C2's intrinsics (the client
     * compiler alone hashes ten times slower). Metaspace is capped well above the ≈ 113 MB snapshot-service
     * uses (23,000 classes); on JDK 17–20 it is also given back eagerly (that option is gone in 21). Where
     * the JDK can (17.0.9+, 21.0.1+, 22+), glibc is asked every 10 s to give back the C heap
     * the JVM has freed — after a snapshot, 30–40 MB of compiler arenas and stream buffers (every second cost 4 of
     * bench-idle's 10 ms ticks a minute per service). No hsperfdata file (jstat's
     * counters): the JVM would otherwise sample them every 50 ms, idle or not ({@code jcmd <pid>} still works). No
     * safepoint forced every second for housekeeping (newer JDKs, 25 among them, force none by default), and idle locks' monitors looked at every
     * 10 s instead of every 250 ms: on JDK 17 the monitor-deflation thread was among each idle service's busiest
     * ({@code make bench-idle}); both options are diagnostic ones, hence the unlock, and exist in JDK 17 to 25.
     */
    public static final List<String> JVM_OPTIONS = jvmOptions(Runtime.version().feature(), hasVmOption("TrimNativeHeapInterval"));

    /** Whether this JDK (the services run on the same) knows a HotSpot option. */
    static boolean hasVmOption(String name) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name);
            return true;
        } catch (IllegalArgumentException e) { // no such option, or not a HotSpot JVM
            return false;
        }
    }

    static List<String> jvmOptions(int jdk, boolean trimsNativeHeap) {
        List<String> options = new ArrayList<>(List.of("-Xms64m", "-Xmx128m", "-Xmn24m", "-XX:+UseSerialGC", "-XX:MinHeapFreeRatio=10",
                "-XX:MaxHeapFreeRatio=40", "-XX:MaxDirectMemorySize=64m", "-XX:MaxMetaspaceSize=192m", "-XX:ReservedCodeCacheSize=64m",
                "-XX:-TieredCompilation", "-Xss512k", "-Dio.netty.allocator.numDirectArenas=1",
                "-Dio.netty.allocator.numHeapArenas=1", "-XX:-UsePerfData", "-XX:+UnlockDiagnosticVMOptions",
                "-XX:GuaranteedSafepointInterval=0", "-XX:AsyncDeflationInterval=10000"));
        if (jdk < 21) {
            options.add("-XX:MetaspaceReclaimPolicy=aggressive");
        }
        if (trimsNativeHeap) {
            options.add("-XX:TrimNativeHeapInterval=10000");
        }
        return List.copyOf(options);
    }

    private final String name;
    private final int port;
    private final ManagedProcess process;

    private QuarkusService(String name, int port, ManagedProcess process) {
        this.name = name;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts {@code <repo>/<module>/target/quarkus-app/quarkus-run.jar} on {@code port} with the given
     * configuration (property names, as {@link LocalStack#quarkusConfig()} gives them).
     */
    public static QuarkusService start(Path repo, String module, String name, int port, Map<String, String> config, Path runDir) {
        Path jar = repo.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new StackException(module + " is not built (" + jar + " is missing): run ./mvnw -B package -DskipTests");
        }
        Ports.requireFree(port, name);
        Map<String, String> environment = new HashMap<>();
        config.forEach((key, value) -> environment.put(environmentName(key), value));
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.put("MALLOC_ARENA_MAX", "2");
        List<String> command = new ArrayList<>(List.of(Binaries.java()));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", jar.toString()));
        return new QuarkusService(name, port, ManagedProcess.start(name, command, repo, runDir, environment));
    }

    /**
     * As {@link #start}, on a port {@link Ports#free()} picks; should another process take that port before
     * the service is started (another JVM's pick), on another one — five tries.
     */
    public static QuarkusService startOnFreePort(Path repo, String module, String name, Map<String, String> config, Path runDir) {
        for (int attempt = 1;; attempt++) {
            try {
                return start(repo, module, name, Ports.free(), config, runDir);
            } catch (Ports.PortInUseException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** Quarkus' environment variable for a property: upper case, anything else than A-Z0-9 as '_'. */
    public static String environmentName(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Waits until {@code /q/health/ready} answers UP. */
    public QuarkusService awaitReady(Duration timeout) {
        HttpProbe.await(url() + "/q/health/ready", "\"UP\"", timeout, process, name);
        return this;
    }

    public String name() {
        return name;
    }

    public String url() {
        return "http://" + Ports.HOST + ":" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** The service's output ({@code <run dir>/<name>.log}). */
    public Path logFile() {
        return process.logFile();
    }

    /** Stops the service: SIGTERM, SIGKILL after 15 s; its exit code (143 stopped on SIGTERM, 137 killed). */
    public int stop() {
        return process.stopForExitCode();
    }

    @Override
    public void close() {
        process.stop();
    }
}
