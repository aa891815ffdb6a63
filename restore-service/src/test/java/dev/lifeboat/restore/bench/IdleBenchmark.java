package dev.lifeboat.restore.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.Topics;
import dev.lifeboat.restore.RestoreStackResource;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;

/**
 * {@code make bench-idle}: what Lifeboat's own processes cost while there is nothing to do — the four services and one
 * etcd-agent, with one registered cluster, a FULL policy ({@code @daily}) and an active DELTA capture, and no writes.
 * After settling (a minute unless told) it reads each process's CPU time ({@code /proc/<pid>/stat}: user + system) at the start and
 * end of the window and prints the share of one core per service, the total, and the goal (all together ≤ 2 % of one
 * core, #22). etcd, Kafka, PostgreSQL and S3 are not Lifeboat's and are not counted.
 */
public final class IdleBenchmark {

    /** Linux's USER_HZ: clock ticks per second in /proc/<pid>/stat. */
    private static final double TICKS_PER_SECOND = 100.0;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "restore-service/target/idle-benchmark").toAbsolutePath();
        Path repo = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
        int windowSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int settleSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 60;
        Dirs.fresh(dir);
        List<QuarkusService> services = new CopyOnWriteArrayList<>();
        try (LocalStack stack = LocalStack.start(StackOptions.forTests(dir.resolve("stack"), Topics.all()))) {
            BenchSupport.useToken(stack.adminToken());
            Path runDir = stack.options().runDir();
            Map<String, String> config = RestoreStackResource.startPeers(stack, services, repo);
            String scheduler = config.get("test.scheduler.url");
            String snapshots = config.get("test.snapshot.url");
            EtcdCluster.Member member = new EtcdCluster.Member("idle-0", Ports.free(), Ports.free(), dir.resolve("agent").resolve("idle-0"));
            try (EtcdAgents agent = EtcdAgents.start(repo, "idle", EtcdCluster.planned(List.of(member)), stack, snapshots, i -> Ports.free(),
                    m -> Map.of())) {
                services.add(QuarkusService.startOnFreePort(repo, "restore-service", "restore-service", config, runDir)
                        .awaitReady(Duration.ofSeconds(120)));
                services.add(QuarkusService.startOnFreePort(repo, "retention-service", "retention-service", config, runDir)
                        .awaitReady(Duration.ofSeconds(120)));
                BenchSupport.registerCluster(scheduler, "idle", member);
                BenchSupport.post(scheduler + "/api/v1/clusters/idle/policies", "{\"id\": \"daily\", \"schedule\": \"@daily\"}", 201);
                BenchSupport.post(scheduler + "/api/v1/clusters/idle/policies", "{\"id\": \"deltas\", \"kind\": \"DELTA\", \"schedule\": \"@every 1m\"}",
                        201);
                awaitCapture(snapshots);
                System.out.println("one cluster, a FULL policy, an active DELTA capture; settling for " + settleSeconds + " s");
                Thread.sleep(settleSeconds * 1000L);

                Map<String, Long> pids = new LinkedHashMap<>();
                for (QuarkusService service : services) {
                    pids.put(service.name(), service.pid());
                }
                pids.put("etcd-agent", agent.agents().get(0).pid());
                Map<String, Long> before = new LinkedHashMap<>();
                Map<String, Map<String, Long>> threadsBefore = new LinkedHashMap<>();
                pids.forEach((name, pid) -> {
                    before.put(name, cpuTicks(pid));
                    threadsBefore.put(name, threadTicks(pid));
                });
                long start = System.nanoTime();
                Thread.sleep(windowSeconds * 1000L);
                double seconds = (System.nanoTime() - start) / 1e9;
                double total = 0;
                Map<String, Double> shares = new LinkedHashMap<>();
                System.out.printf("%-20s %12s%n", "process", "% of a core");
                for (Map.Entry<String, Long> entry : pids.entrySet()) {
                    double share = 100.0 * (cpuTicks(entry.getValue()) - before.get(entry.getKey())) / TICKS_PER_SECOND / seconds;
                    total += share;
                    shares.put(entry.getKey(), share);
                    System.out.printf("%-20s %12.2f%n", entry.getKey(), share);
                }
                System.out.println("where it goes: the busiest threads of each process (ticks of 10 ms over the window; a JVM's"
                        + " thread names repeat, so threads of one name are summed)");
                for (Map.Entry<String, Long> entry : pids.entrySet()) {
                    Map<String, Long> after = threadTicks(entry.getValue());
                    Map<String, Long> was = threadsBefore.get(entry.getKey());
                    String busiest = after.entrySet().stream().map(t -> Map.entry(t.getKey(), t.getValue() - was.getOrDefault(t.getKey(), 0L)))
                            .filter(t -> t.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                            .map(t -> t.getKey() + " " + t.getValue()).collect(java.util.stream.Collectors.joining(", "));
                    System.out.printf("  %-18s %s%n", entry.getKey(), busiest);
                }
                System.out.printf("RESULT idle over %.0f s: Lifeboat's services and agent together %.2f %% of one core (goal <= 2 %%: %s)%n", seconds,
                        total, total <= 2.0 ? "met" : "not met");
                StringBuilder each = new StringBuilder();
                for (Map.Entry<String, Long> entry : pids.entrySet()) {
                    BenchTable.memory(entry.getKey(), "idle", PeakRss.status(entry.getValue(), "VmRSS"), PeakRss.status(entry.getValue(), "RssAnon"));
                    each.append(each.length() == 0 ? "" : ", ").append(entry.getKey()).append(' ')
                            .append(String.format(Locale.ROOT, "%.2f", shares.get(entry.getKey())));
                }
                BenchTable.row("idle CPU of the services and one agent over " + Math.round(seconds) + " s (" + each + ")",
                        String.format(Locale.ROOT, "%.2f %% of a core", total), "goal 2 %", total / 2.0, "<= 2 %", total <= 2.0);
            }
        } finally {
            services.forEach(QuarkusService::close);
        }
    }

    /** User + system CPU time of the process so far, in clock ticks. */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command may hold spaces and parentheses: the fields after it start past the last ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("process " + pid + " is gone: " + e.getMessage(), e);
        }
    }

    /** CPU ticks so far of each thread of a process, summed by thread name ({@code /proc/<pid>/task/<tid>/stat}). */
    private static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> ticks = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                } catch (java.io.IOException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("process " + pid + " is gone: " + e.getMessage(), e);
        }
        return ticks;
    }

    private static void awaitCapture(String snapshots) throws Exception {
        Instant deadline = Instant.now().plusSeconds(300);
        while (Instant.now().isBefore(deadline)) {
            JsonNode view = BenchSupport.get(snapshots + "/api/v1/clusters/idle/delta-capture");
            if ("WATCHING".equals(view.path("live").path("state").asText())) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException("delta capture of cluster idle did not start within 5 min");
    }
}
