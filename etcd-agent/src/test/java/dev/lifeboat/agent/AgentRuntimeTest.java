package dev.lifeboat.agent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An agent told its member is a static pod refuses to start, naming why, instead of starting an etcd of its own. */
class AgentRuntimeTest {

    @Test
    void onlyTheProcessRuntimeStarts() {
        assertDoesNotThrow(() -> AgentLifecycle.checkRuntime("process"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AgentLifecycle.checkRuntime("static-pod"));
        assertTrue(e.getMessage().contains("lifeboat.agent.runtime is 'static-pod'") && e.getMessage().contains("untouched"), e.getMessage());
    }
}
