package dev.lifeboat.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server process of the stack: output goes to a log file, a pid file records it so a later start
 * can clean up after a launcher that was killed with SIGKILL, and {@link #stop()} ends it and every
 * process it started.
 */
public final class ManagedProcess implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ManagedProcess.class.getName());

    private final String name;
    private final Process process;
    private final Path logFile;
    private final Path pidFile;

    private ManagedProcess(String name, Process process, Path logFile, Path pidFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.pidFile = pidFile;
    }

    /**
     * Starts {@code command} with its output appended to {@code <runDir>/<name>.log}. A process left
     * behind by an earlier launcher under the same run directory is stopped first.
     */
    public static ManagedProcess start(String name, List<String> command, Path workDir, Path runDir,
            Map<String, String> environment) {
        try {
            Files.createDirectories(runDir);
            Files.createDirectories(workDir);
            Path pidFile = runDir.resolve(name + ".pid");
            stopLeftover(name, pidFile);
            Path logFile = runDir.resolve(name + ".log");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            builder.environment().putAll(environment);
            Process process = builder.start();
            Files.writeString(pidFile, Long.toString(process.pid()));
            return new ManagedProcess(name, process, logFile, pidFile);
        } catch (IOException e) {
            throw new StackException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /**
     * Stops every process an earlier launcher recorded under {@code runDir} and did not stop (it was
     * killed with SIGKILL, say), so its ports and data directories are free again.
     */
    public static void stopLeftovers(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (var files = Files.list(runDir)) {
            for (Path pidFile : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
                String fileName = pidFile.getFileName().toString();
                stopLeftover(fileName.substring(0, fileName.length() - 4), pidFile);
            }
        } catch (IOException e) {
            throw new StackException("cannot read pid files in " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** Records the pid of a process that a library started for us (PostgreSQL's postmaster). */
    static void recordPid(Path runDir, String name, long pid) {
        try {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve(name + ".pid"), Long.toString(pid));
        } catch (IOException e) {
            throw new StackException("cannot write pid file for " + name + " in " + runDir + ": " + e.getMessage(), e);
        }
    }

    static void forgetPid(Path runDir, String name) {
        try {
            Files.deleteIfExists(runDir.resolve(name + ".pid"));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot delete pid file of " + name, e);
        }
    }

    private static void stopLeftover(String name, Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).trim();
        Files.delete(pidFile);
        long pid;
        try {
            pid = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return;
        }
        ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(leftover -> {
            LOG.log(System.Logger.Level.WARNING, "stopping " + name + " (pid " + pid
                    + ") left running by an earlier launcher");
            stopTree(leftover);
        });
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Fails with the exit code and the log to read when the process has already ended. */
    public void requireAlive() {
        if (!process.isAlive()) {
            throw new StackException(name + " exited with code " + process.exitValue() + "; see " + logFile);
        }
    }

    /** Runs a short command to completion, failing with its log when it exits non-zero. */
    public static void runToCompletion(String name, List<String> command, Path workDir, Path runDir, long timeoutSeconds) {
        ManagedProcess step = start(name, command, workDir, runDir, Map.of());
        try {
            if (!step.process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                step.stop();
                throw new StackException(name + " did not finish within " + timeoutSeconds + " s; see " + step.logFile);
            }
            if (step.process.exitValue() != 0) {
                throw new StackException(name + " failed with exit code " + step.process.exitValue() + "; see " + step.logFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            step.stop();
            throw new StackException("interrupted while running " + name, e);
        } finally {
            step.forgetPidFile();
        }
    }

    /** Ends the process and its descendants: SIGTERM, then SIGKILL after a grace period. */
    public void stop() {
        stopTree(process.toHandle());
        forgetPidFile();
    }

    /**
     * Ends the process as {@link #stop()} does; its exit code: for a JVM, 143 when it stopped on SIGTERM, 137 when it
     * had to be killed after the grace period (15 s).
     */
    public int stopForExitCode() {
        stop();
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException(name + " was being stopped when the wait was interrupted");
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void forgetPidFile() {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot delete " + pidFile, e);
        }
    }

    static void stopTree(ProcessHandle root) {
        List<ProcessHandle> descendants = root.descendants().toList();
        root.destroy();
        descendants.forEach(ProcessHandle::destroy);
        awaitExit(root, 15);
        descendants.forEach(child -> awaitExit(child, 5));
    }

    private static void awaitExit(ProcessHandle handle, int seconds) {
        try {
            handle.onExit().get(seconds, TimeUnit.SECONDS);
        } catch (Exception e) {
            handle.destroyForcibly();
            try {
                handle.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                LOG.log(System.Logger.Level.WARNING, "process " + handle.pid() + " did not exit after SIGKILL");
            }
        }
    }
}
