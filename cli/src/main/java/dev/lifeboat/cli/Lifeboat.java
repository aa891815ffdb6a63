package dev.lifeboat.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code lifeboat}: the command line for people and runbooks over Lifeboat's REST APIs.
 *
 * <p>Exit codes: 0 done; 1 the work ran and failed (a backup or restore ended FAILED, a file is not a
 * valid snapshot); 2 refused (the command line, or a service's 400/404/409 — its message is printed);
 * 3 a service could not be reached or answered 5xx; 4 {@code --wait} gave up after {@code --timeout}; 5 no valid
 * token, or its roles or clusters do not allow the call.
 *
 * <p>Every call carries a bearer token: {@code --token}, else {@code LIFEBOAT_TOKEN}, else the file {@code
 * --token-file} names ({@code LIFEBOAT_TOKEN_FILE}; by default {@code make run}'s admin token,
 * {@code .lifeboat/auth/admin.token} of the checkout).
 */
@Command(name = "lifeboat", mixinStandardHelpOptions = true, version = "lifeboat 0.1.0",
        description = "Backup and disaster recovery for etcd: clusters, policies, backups, snapshots, restores.",
        subcommands = {ClusterCommand.class, PolicyCommand.class, BackupCommand.class, SnapshotsCommand.class, SnapshotCommand.class,
                RestoreCommand.class, DrillCommand.class, TimelineCommand.class, RetentionCommand.class, DeadLettersCommand.class, TokenCommand.class},
        footer = {"", "Exit codes: 0 done, 1 failed, 2 refused or bad usage, 3 a service unreachable, 4 timed out waiting, 5 no valid token "
                + "or not allowed.", "Service URLs default to the local stack of 'make run'; set them with the options or LIFEBOAT_<SERVICE>_URL.",
                "The token: --token, LIFEBOAT_TOKEN, or --token-file (default: make run's .lifeboat/auth/admin.token)."})
public final class Lifeboat {

    @Option(names = "--scheduler-url", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_SCHEDULER_URL:-http://127.0.0.1:8081}",
            description = "scheduler-service (clusters, policies, backups, timeline); default ${DEFAULT-VALUE}")
    String schedulerUrl;

    @Option(names = "--snapshot-url", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_SNAPSHOT_URL:-http://127.0.0.1:8082}",
            description = "snapshot-service (snapshots, downloads); default ${DEFAULT-VALUE}")
    String snapshotUrl;

    @Option(names = "--retention-url", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_RETENTION_URL:-http://127.0.0.1:8083}",
            description = "retention-service; default ${DEFAULT-VALUE}")
    String retentionUrl;

    @Option(names = "--restore-url", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_RESTORE_URL:-http://127.0.0.1:8084}",
            description = "restore-service; default ${DEFAULT-VALUE}")
    String restoreUrl;

    @Option(names = "--token", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_TOKEN}",
            description = "bearer token for the services (default: LIFEBOAT_TOKEN, else --token-file)")
    String token;

    @Option(names = "--token-file", scope = ScopeType.INHERIT, defaultValue = "${env:LIFEBOAT_TOKEN_FILE}",
            description = "a file holding the token (default: make run's .lifeboat/auth/admin.token)")
    Path tokenFile;

    Api scheduler() {
        return new Api("scheduler-service", schedulerUrl, this::bearer);
    }

    Api snapshots() {
        return new Api("snapshot-service", snapshotUrl, this::bearer);
    }

    Api retention() {
        return new Api("retention-service", retentionUrl, this::bearer);
    }

    Api restores() {
        return new Api("restore-service", restoreUrl, this::bearer);
    }

    /** Where {@code make run} keeps its keys and tokens: {@code .lifeboat/auth} of the checkout ({@code ./lifeboat} sets LIFEBOAT_HOME). */
    static Path authDir() {
        String home = System.getenv("LIFEBOAT_HOME");
        return Path.of(home == null || home.isBlank() ? "." : home, ".lifeboat", "auth");
    }

    /** The token to send, or null (the service then answers 401, which says how to get one). */
    private String bearer() {
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        Path file = tokenFile != null ? tokenFile : authDir().resolve("admin.token");
        if (!Files.isRegularFile(file)) {
            if (tokenFile != null) {
                throw new CliException(CliException.DENIED, "cannot read the token file " + tokenFile + ": no such file");
            }
            return null;
        }
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new CliException(CliException.DENIED, "cannot read the token file " + file + ": " + e.getMessage());
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /** Runs a command line; returns its exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine command = new CommandLine(new Lifeboat());
        command.setOut(out);
        command.setErr(err);
        command.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof CliException cli) {
                err.println("lifeboat: " + cli.getMessage());
                err.flush();
                return cli.exitCode();
            }
            err.println("lifeboat: " + e);
            err.flush();
            return CliException.FAILED;
        });
        command.setParameterExceptionHandler((e, line) -> {
            err.println("lifeboat: " + e.getMessage());
            e.getCommandLine().usage(err);
            err.flush();
            return CliException.REFUSED;
        });
        return command.execute(args);
    }
}
