package dev.lifeboat.agent.drill;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A drill runs only when the db twice still leaves the reserve free. */
class DiskBudgetTest {

    @Test
    void aDrillFitsOnlyWhenTheReserveStaysFree() {
        long gb = 1_000_000_000L;
        assertNull(DiskBudget.shortfall("/var/lib/etcd.drills", 10 * gb, 4 * gb, gb), "4 GB of 10 leaves 6 free");
        assertNull(DiskBudget.shortfall("/var/lib/etcd.drills", 5 * gb, 4 * gb, gb), "exactly the reserve left is enough");
        String refused = DiskBudget.shortfall("/var/lib/etcd.drills", 5 * gb, 4 * gb + 1, gb);
        assertTrue(refused.contains("/var/lib/etcd.drills has 5000.0 MB free"), refused);
        assertTrue(refused.contains("needs 4000.0 MB") && refused.contains("leave 1000.0 MB free (lifeboat.agent.drill-keep-free)"), refused);
        assertTrue(DiskBudget.shortfall("/d", 100, 40_960, 0).contains("needs 40960 bytes"), "a small db in bytes, not 0.0 MB");
    }

    @Test
    void theRealFileSystemIsAsked(@TempDir Path dir) throws Exception {
        long usable = Files.getFileStore(dir).getUsableSpace();
        assertNull(DiskBudget.shortfall(dir, 0, 0), "nothing needed fits");
        String refused = DiskBudget.shortfall(dir, usable + 1_000_000_000L, 0);
        assertTrue(refused != null && refused.startsWith(dir.toString()), "more than the disk holds does not: " + refused);
    }
}
