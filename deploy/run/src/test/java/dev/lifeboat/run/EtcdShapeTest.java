package dev.lifeboat.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.StackException;
import dev.lifeboat.stack.StackOptions;

/** make run refuses to start etcd members on the data of a run of another shape (a split cluster otherwise). */
class EtcdShapeTest {

    @TempDir
    Path dataDir;

    private StackOptions options(int members, EtcdRelease release, boolean tls) {
        return StackOptions.forRun(dataDir, members, Map.of()).withEtcd(release, tls);
    }

    @Test
    void theSameShapeStartsAgainAndAnotherIsRefusedNamingBoth() throws Exception {
        RunMain.checkEtcdShape(options(1, EtcdRelease.V3_5, false));
        RunMain.checkEtcdShape(options(1, EtcdRelease.V3_5, false));
        assertEquals("1 member(s), etcd 3.5, http", Files.readString(dataDir.resolve("etcd").resolve("shape")).trim());

        StackException three = assertThrows(StackException.class, () -> RunMain.checkEtcdShape(options(3, EtcdRelease.V3_5, false)));
        assertTrue(three.getMessage().contains("with 1 member(s), etcd 3.5, http, not 3 member(s), etcd 3.5, http"), three.getMessage());
        assertTrue(three.getMessage().contains("make clean"), three.getMessage());
        assertThrows(StackException.class, () -> RunMain.checkEtcdShape(options(1, EtcdRelease.V3_5, true)));
        assertThrows(StackException.class, () -> RunMain.checkEtcdShape(options(1, EtcdRelease.V3_4, false)), "no downgrade");
        assertEquals("1 member(s), etcd 3.5, http", Files.readString(dataDir.resolve("etcd").resolve("shape")).trim(), "a refusal changes nothing");
    }

    @Test
    void dataOfAnEarlierVersionWithoutAShapeFileIsOneMemberOf34AndMayBeUpgraded() throws Exception {
        Files.createDirectories(dataDir.resolve("etcd").resolve("etcd-0").resolve("member"));
        assertThrows(StackException.class, () -> RunMain.checkEtcdShape(options(3, EtcdRelease.V3_5, false)));
        RunMain.checkEtcdShape(options(1, EtcdRelease.V3_5, false));
        assertEquals("1 member(s), etcd 3.5, http", Files.readString(dataDir.resolve("etcd").resolve("shape")).trim());
    }
}
