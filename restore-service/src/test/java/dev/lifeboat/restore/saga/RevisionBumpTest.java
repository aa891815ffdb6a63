package dev.lifeboat.restore.saga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RevisionBumpTest {

    @Test
    void theFloorCoversClustersThatWroteLittleSinceTheSnapshot() {
        assertEquals(1_000_000_000L, RevisionBump.size(1_000_000_000L, 500, 9_000L));
        assertEquals(1_000_000_000L, RevisionBump.size(1_000_000_000L, 500, null), "nothing known beyond the snapshot");
        assertEquals(1_000_000_000L, RevisionBump.size(1_000_000_000L, 9_000, 500L), "newest known below the restored revision");
    }

    @Test
    void aBusyClusterGetsTwiceTheRevisionsWrittenSinceTheRestoredOne() {
        assertEquals(3_000_000_000L, RevisionBump.size(1_000_000_000L, 1_000, 1_500_001_000L));
        assertEquals(200L, RevisionBump.size(10, 100, 200L));
    }

    @Test
    void zeroTurnsBumpingOffAndNegativeIsRefused() {
        assertEquals(0, RevisionBump.size(0, 100, 5_000_000_000L));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> RevisionBump.size(-1, 1, 2L));
        assertEquals("lifeboat.restore.bump-revision must be 0 or more, was -1", refused.getMessage());
    }

    @Test
    void hugeRevisionsDoNotOverflow() {
        assertEquals(Long.MAX_VALUE / 2, RevisionBump.size(1, 0, Long.MAX_VALUE - 1));
    }
}
