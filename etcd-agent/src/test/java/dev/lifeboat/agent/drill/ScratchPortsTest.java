package dev.lifeboat.agent.drill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lifeboat.agent.etcd.EtcdProcessException;

/** A drill's scratch etcd never listens on the member's client or peer port, nor twice on one port. */
class ScratchPortsTest {

    @Test
    void theMembersPortsAreSkippedEvenWhenTheSystemOffersThem() {
        Iterator<Integer> offered = List.of(2379, 2380, 2379, 40001, 40001, 2380, 40002).iterator();
        assertArrayEquals(new int[] {40001, 40002}, ScratchEtcd.freePorts(Set.of(2379, 2380), offered::next));
    }

    @Test
    void realFreePortsAreTwoAndNeverTheMembers() {
        for (int round = 0; round < 20; round++) {
            int[] member = ScratchEtcd.freePorts(Set.of());
            int[] scratch = ScratchEtcd.freePorts(Set.of(member[0], member[1]));
            assertEquals(2, scratch.length);
            assertNotEquals(scratch[0], scratch[1]);
            assertFalse(Set.of(member[0], member[1]).contains(scratch[0]) || Set.of(member[0], member[1]).contains(scratch[1]));
            assertTrue(scratch[0] > 0 && scratch[1] > 0);
        }
    }

    @Test
    void aSystemThatOffersOnlyTheMembersPortsIsAClearError() {
        EtcdProcessException e = assertThrows(EtcdProcessException.class, () -> ScratchEtcd.freePorts(Set.of(2379), () -> 2379));
        assertTrue(e.getMessage().contains("no two free ports"), e.getMessage());
    }
}
