package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class BenchTableTest {

    @Test
    void ratiosAreOneTableAndMemoryIsAServiceBySituationTable() {
        String table = BenchTable.render(List.of(
                "ratio\tP1 backup, none\t13.02 s\tupload 10.77 s\t1.21\t<= 1.1\tno",
                "memory\tsnapshot-service\tidle\t210 MB",
                "memory\trestore-service\tidle\t190 MB (anon 150 MB)",
                "ratio\tidle CPU\t9.80 %\t2 %\t4.90\t<= 2 %\tno",
                "memory\tsnapshot-service\tbench-snapshot-service (2 GB)\t349 MB",
                ""));
        assertEquals("""
                | measure | Lifeboat | peer | ratio | goal | met |
                |---|---|---|---|---|---|
                | P1 backup, none | 13.02 s | upload 10.77 s | 1.21 | <= 1.1 | no |
                | idle CPU | 9.80 % | 2 % | 4.90 | <= 2 % | no |

                | service (RSS) | idle | bench-snapshot-service (2 GB) |
                |---|---|---|
                | snapshot-service | 210 MB | 349 MB |
                | restore-service | 190 MB (anon 150 MB) |  |
                """, table);
    }

    @Test
    void aLineThatIsNoRowIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchTable.render(List.of("ratio\tonly two")));
        assertTrue(e.getMessage().contains("ratio|only two"), e.getMessage());
    }

    @Test
    void aFieldWithATabIsRefusedBeforeItBreaksTheFile() {
        assertThrows(IllegalArgumentException.class, () -> BenchTable.row("a\tb", "1 s", "1 s", 1.0, "<= 1", true));
    }
}
