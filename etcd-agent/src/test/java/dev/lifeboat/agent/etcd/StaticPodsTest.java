package dev.lifeboat.agent.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest moves of the static-pod runtime on real folders: what is checked before the agent touches anything,
 * that a stop takes the API server's manifest out before etcd's, that a start puts back only etcd's, and that a crash
 * between copy and delete leaves a state the next move repairs. (With a kubelet and etcd: {@code ReplaceRestoreCases}.)
 */
class StaticPodsTest {

    private static final String ETCD = """
            apiVersion: v1
            kind: Pod
            spec:
              containers:
              - command:
                - etcd
                - --advertise-client-urls=https://10.0.0.5:2379
                - --data-dir=/var/lib/etcd
                - --name=cp-1
            """;

    @TempDir
    Path dir;

    private StaticPods pods(Path manifests, int port) {
        return new StaticPods(manifests, "etcd.yaml", List.of("kube-apiserver.yaml"), dir.resolve("aside"), Duration.ofSeconds(5),
                "http://127.0.0.1:" + port, dir.resolve("data"));
    }

    @Test
    void theDataDirIsReadFromEtcdsCommandInEitherForm() {
        assertEquals(Optional.of(Path.of("/var/lib/etcd")), StaticPods.dataDirOf(ETCD));
        assertEquals(Optional.of(Path.of("/data/etcd")), StaticPods.dataDirOf("    - --data-dir\n    - x\n".replace("\n    - x", " /data/etcd")));
        assertEquals(Optional.empty(), StaticPods.dataDirOf("command: [etcd]"));
    }

    @Test
    void anAgentForAnotherDataDirOrWithoutEtcdsManifestRefusesToStart() throws Exception {
        Path manifests = Files.createDirectories(dir.resolve("manifests"));
        StaticPods pods = pods(manifests, 1);
        EtcdProcessException missing = assertThrows(EtcdProcessException.class, () -> pods.validate(Path.of("/var/lib/etcd")));
        assertTrue(missing.getMessage().contains("etcd.yaml does not exist"), missing.getMessage());
        Files.writeString(manifests.resolve("etcd.yaml"), ETCD);
        EtcdProcessException other = assertThrows(EtcdProcessException.class, () -> pods.validate(Path.of("/srv/etcd")));
        assertTrue(other.getMessage().contains("--data-dir /var/lib/etcd, but lifeboat.agent.etcd.data-dir is /srv/etcd"), other.getMessage());
        pods.validate(Path.of("/var/lib/etcd"));
        EtcdProcessException noFolder = assertThrows(EtcdProcessException.class, () -> pods(dir.resolve("absent"), 1).validate(Path.of("/var/lib/etcd")));
        assertTrue(noFolder.getMessage().contains("is not a directory"), noFolder.getMessage());
        for (String bad : List.of("../etcd.yaml", ".etcd.yaml", "a/etcd.yaml", " ")) {
            assertThrows(EtcdProcessException.class, () -> new StaticPods(manifests, bad, List.of(), dir, Duration.ofSeconds(1), "http://127.0.0.1:1",
                    dir), bad);
        }
    }

    @Test
    void stopTakesEveryManifestOutStartPutsEtcdsBackAndThePausedOnesComeBackLast() throws Exception {
        Path manifests = Files.createDirectories(dir.resolve("manifests"));
        Files.writeString(manifests.resolve("etcd.yaml"), ETCD);
        Files.writeString(manifests.resolve("kube-apiserver.yaml"), "apiserver");
        Files.writeString(manifests.resolve("kube-scheduler.yaml"), "scheduler");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        StaticPods pods = pods(manifests, port);

        pods.stop();
        assertEquals(List.of("kube-scheduler.yaml"), list(manifests), "only the manifests the agent stops leave the folder");
        assertEquals(List.of("etcd.yaml", "kube-apiserver.yaml"), list(dir.resolve("aside")));
        assertEquals(ETCD, Files.readString(dir.resolve("aside/etcd.yaml")), "moved whole");
        assertFalse(pods.etcdInPlace());

        pods.startEtcd();
        assertEquals(List.of("etcd.yaml", "kube-scheduler.yaml"), list(manifests), "etcd first; the API server waits for it to serve");
        assertEquals(List.of("kube-apiserver.yaml"), pods.paused());

        pods.resumePaused();
        assertEquals(List.of("etcd.yaml", "kube-apiserver.yaml", "kube-scheduler.yaml"), list(manifests));
        assertEquals(List.of(), list(dir.resolve("aside")));
        assertEquals("apiserver", Files.readString(manifests.resolve("kube-apiserver.yaml")));
    }

    @Test
    void aStopFailsNamingWhereTheManifestsAreWhileEtcdStillAnswers() throws Exception {
        Path manifests = Files.createDirectories(dir.resolve("manifests"));
        Files.writeString(manifests.resolve("etcd.yaml"), ETCD);
        try (ServerSocket etcd = new ServerSocket(0)) {
            StaticPods pods = new StaticPods(manifests, "etcd.yaml", List.of(), dir.resolve("aside"), Duration.ofMillis(800),
                    "http://127.0.0.1:" + etcd.getLocalPort(), dir.resolve("data"));
            EtcdProcessException e = assertThrows(EtcdProcessException.class, pods::stop);
            assertTrue(e.getMessage().contains("the kubelet did not stop etcd within 0 s") && e.getMessage().contains("etcd still answers")
                    && e.getMessage().contains("the manifests are kept in " + dir.resolve("aside")), e.getMessage());
        }
    }

    @Test
    void aCopyLeftInBothPlacesByACrashCountsWhereTheKubeletReadsIt() throws Exception {
        Path manifests = Files.createDirectories(dir.resolve("manifests"));
        Files.createDirectories(dir.resolve("aside"));
        Files.writeString(manifests.resolve("etcd.yaml"), ETCD);
        Files.writeString(dir.resolve("aside/etcd.yaml"), ETCD);
        StaticPods pods = pods(manifests, 1);
        assertTrue(pods.etcdInPlace());
        pods.startEtcd();
        assertEquals(List.of("etcd.yaml"), list(manifests));
        assertEquals(List.of(), list(dir.resolve("aside")), "the stale copy aside is gone");
    }

    private static List<String> list(Path folder) throws Exception {
        try (var files = Files.list(folder)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
