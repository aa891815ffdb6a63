package dev.lifeboat.stack;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs only the local stack until SIGTERM or Ctrl-C: {@code StackMain DATA_DIR [--fixed-ports]
 * [--etcd-members N] [--topic NAME:PARTITIONS]...}. Prints the service configuration as
 * {@code key=value} lines (secrets hidden), then {@code READY}.
 */
public final class StackMain {

    private StackMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 0) {
            System.err.println("usage: StackMain DATA_DIR [--fixed-ports] [--etcd-members 1|3] [--topic NAME:PARTITIONS]...");
            System.exit(2);
        }
        Path dataDir = Path.of(args[0]).toAbsolutePath();
        boolean fixedPorts = false;
        int members = 1;
        Map<String, Integer> topics = new java.util.LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--fixed-ports" -> fixedPorts = true;
                case "--etcd-members" -> members = Integer.parseInt(args[++i]);
                case "--topic" -> {
                    String[] topic = args[++i].split(":");
                    topics.put(topic[0], topic.length > 1 ? Integer.parseInt(topic[1]) : 1);
                }
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }
        // The stack alone starts etcd itself; make run (deploy/run) leaves it to etcd-agents.
        StackOptions options = fixedPorts ? StackOptions.forRun(dataDir, members, topics).withEtcdByAgents(false)
                : StackOptions.forTests(dataDir, topics).withEtcdMembers(members);
        LocalStack stack;
        try {
            stack = LocalStack.start(options);
        } catch (StackException e) {
            System.err.println("lifeboat: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "stack-stop"));
        // Secrets stay out of the output: the S3 secret is read from the credentials file.
        stack.quarkusConfig().forEach((key, value) -> System.out.println(key + "="
                + (key.contains("secret") || key.contains("password") ? "<hidden>" : value)));
        System.out.println("READY");
        System.out.flush();
        stopped.await();
    }
}
