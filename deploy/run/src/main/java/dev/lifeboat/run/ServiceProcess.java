package dev.lifeboat.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import dev.lifeboat.stack.HttpProbe;
import dev.lifeboat.stack.ManagedProcess;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.StackException;

/** One Lifeboat service run from its built Quarkus application as a child JVM. */
final class ServiceProcess {

    /**
     * JVM settings that keep a service's resident memory small and flat (measured with snapshot-service
     * streaming 0.5 and 2 GB snapshots; see snapshot-service/README.md): a bounded heap, direct memory
     * and metaspace, one Netty arena, and (environment) two malloc arenas.
     */
    static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=64m",
            "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m", "-Xss512k", "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1");

    private final String name;
    private final int port;
    private final ManagedProcess process;

    private ServiceProcess(String name, int port, ManagedProcess process) {
        this.name = name;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts {@code <repo>/<name>/target/quarkus-app/quarkus-run.jar}. The stack's configuration goes
     * in through environment variables (Quarkus' standard mapping), never the command line, where any
     * user could read the S3 secret.
     */
    static ServiceProcess start(Path repo, String name, int port, Map<String, String> config, Path runDir) {
        Path jar = repo.resolve(name).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new StackException(name + " is not built (" + jar + " is missing): run ./mvnw -B package -DskipTests");
        }
        Ports.requireFree(port, name);
        Map<String, String> environment = config.entrySet().stream()
                .collect(Collectors.toMap(entry -> environmentName(entry.getKey()), Map.Entry::getValue));
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.put("MALLOC_ARENA_MAX", "2");
        List<String> command = new java.util.ArrayList<>(List.of(javaLauncher()));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", jar.toString()));
        ManagedProcess process = ManagedProcess.start(name, command, repo, runDir, environment);
        return new ServiceProcess(name, port, process);
    }

    /** Quarkus' environment variable for a property: upper case, anything else than A-Z0-9 as '_'. */
    static String environmentName(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private static String javaLauncher() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits until {@code /q/health/ready} answers UP. */
    void awaitReady(Duration timeout) {
        HttpProbe.await(url() + "/q/health/ready", "\"UP\"", timeout, process, name);
    }

    String name() {
        return name;
    }

    String url() {
        return "http://" + Ports.HOST + ":" + port;
    }

    void stop() {
        process.stop();
    }
}
