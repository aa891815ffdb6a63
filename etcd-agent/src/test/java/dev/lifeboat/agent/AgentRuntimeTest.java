package dev.lifeboat.agent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An agent told a runtime it does not know refuses to start, naming why, instead of guessing how its etcd runs. */
class AgentRuntimeTest {

    @Test
    void onlyTheRuntimesItKnowsStart() {
        assertDoesNotThrow(() -> AgentLifecycle.checkRuntime("process"));
        assertDoesNotThrow(() -> AgentLifecycle.checkRuntime("static-pod"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AgentLifecycle.checkRuntime("systemd"));
        assertTrue(e.getMessage().contains("lifeboat.agent.runtime is 'systemd'") && e.getMessage().contains("untouched"), e.getMessage());
    }
}
