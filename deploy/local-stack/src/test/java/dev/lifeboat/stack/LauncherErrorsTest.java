package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-line errors of the launcher, and its clean-up after a launcher that was killed. */
class LauncherErrorsTest {

    @TempDir
    Path dir;

    @Test
    void aTakenFixedPortIsNamedWithItsOwner() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(Ports.HOST))) {
            StackException e = assertThrows(Ports.PortInUseException.class, () -> Ports.requireFree(taken.getLocalPort(), "Kafka"));
            assertTrue(e.getMessage().startsWith("port " + taken.getLocalPort() + " (Kafka) on 127.0.0.1 is already in use"),
                    e.getMessage());
        }
    }

    @Test
    void aMissingBinarySaysHowToInstallIt() {
        StackException e = assertThrows(StackException.class,
                () -> Binaries.require("lifeboat-no-such-binary", "install it with apt-get"));
        assertEquals("'lifeboat-no-such-binary' was not found on PATH: install it with apt-get", e.getMessage());
    }

    @Test
    void etcdMembersAreNoneOneOrThree() {
        StackException e = assertThrows(StackException.class, () -> StackOptions.forTests(dir, Map.of()).withEtcdMembers(2));
        assertEquals("etcd members must be 1 or 3 (or 0: no local etcd), not 2", e.getMessage());
        assertEquals(0, StackOptions.forTests(dir, Map.of()).withEtcdMembers(0).etcdMembers());
    }

    @Test
    void processesLeftByAKilledLauncherAreStoppedOnTheNextStart() throws Exception {
        Process orphan = new ProcessBuilder("sleep", "300").start();
        try {
            Path runDir = dir.resolve("run");
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("kafka.pid"), Long.toString(orphan.pid()));

            ManagedProcess.stopLeftovers(runDir);

            assertTrue(orphan.waitFor(20, TimeUnit.SECONDS), "the leftover process was stopped");
            assertFalse(Files.exists(runDir.resolve("kafka.pid")));
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void aStepThatFailsNamesItsLog() {
        StackException e = assertThrows(StackException.class, () -> ManagedProcess.runToCompletion("format",
                java.util.List.of("sh", "-c", "echo broken; exit 3"), dir, dir.resolve("run"), 10));
        assertTrue(e.getMessage().startsWith("format failed with exit code 3; see "), e.getMessage());
    }
}
