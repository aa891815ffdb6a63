package dev.lifeboat.scheduler.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.events.api.InvalidRequestException;
import dev.lifeboat.scheduler.api.PolicyResource.PolicyRequest;
import dev.lifeboat.scheduler.policy.Policies;
import dev.lifeboat.scheduler.policy.PolicyKind;

/** The rules a policy body must meet, each refusal naming its field — without a server. */
class PolicyValidationTest {

    @Test
    void aFullPolicyWithJitterRetentionAndZoneIsAccepted() {
        Policies.Definition policy = PolicyResource.validate(new PolicyRequest("nightly", " 0 2 * * * ", "Europe/Berlin", null, "10m", null,
                new RetentionSpec(7, null, "30d", null), null, null));
        assertEquals(PolicyKind.FULL, policy.kind());
        assertEquals("0 2 * * *", policy.schedule());
        assertEquals("Europe/Berlin", policy.timeZone());
        assertEquals(600, policy.jitterSeconds());
        assertEquals(3600, policy.startingDeadlineSeconds());
        assertNull(policy.deltaMaxBytes());
    }

    @Test
    void aDeltaPolicyGetsTheDefaultSizeAndRefusesWhatBelongsToFullPolicies() {
        Policies.Definition delta = PolicyResource.validate(new PolicyRequest(null, "@every 5m", null, "delta", null, null, null, null, null));
        assertEquals(PolicyKind.DELTA, delta.kind());
        assertEquals(PolicyResource.DEFAULT_DELTA_MAX_BYTES, delta.deltaMaxBytes());

        refused("retention", new PolicyRequest(null, "@every 5m", null, "DELTA", null, null, new RetentionSpec(3, null, null, null), null, null));
        refused("jitter", new PolicyRequest(null, "@every 5m", null, "DELTA", "1m", null, null, null, null));
        refused("schedule", new PolicyRequest(null, "*/5 * * * *", null, "DELTA", null, null, null, null, null));
        refused("deltaMaxBytes", new PolicyRequest(null, "@every 5m", null, "DELTA", null, null, null, 10L, null));
        refused("deltaMaxBytes", new PolicyRequest(null, "@hourly", null, "FULL", null, null, null, 1L << 20, null));
    }

    @Test
    void aDrillPolicyFiresSlotsAndKeepsNothing() {
        Policies.Definition drill = PolicyResource.validate(new PolicyRequest("nightly-drill", "@daily", null, "drill", "30m", null, null, null, null));
        assertEquals(PolicyKind.DRILL, drill.kind());
        assertEquals(1800, drill.jitterSeconds());
        assertNull(drill.deltaMaxBytes());
        assertNull(drill.kind().snapshotKind(), "a DRILL policy is no backup policy");
        assertTrue(drill.kind().firesSlots());

        refused("retention", new PolicyRequest(null, "@daily", null, "DRILL", null, null, new RetentionSpec(3, null, null, null), null, null));
        refused("deltaMaxBytes", new PolicyRequest(null, "@daily", null, "DRILL", null, null, null, 4096L, null));
        assertEquals("undrilled", PolicyResource.validate(new PolicyRequest(null, "@hourly", null, "DRILL", null, null, null, null, "Undrilled"))
                .drillSnapshot(), "each new full snapshot: the oldest one no drill judged yet");
        assertNull(PolicyResource.validate(new PolicyRequest(null, "@hourly", null, "DRILL", null, null, null, null, "latest"))
                .drillSnapshot(), "latest is the default");
        refused("drillSnapshot", new PolicyRequest(null, "@hourly", null, "DRILL", null, null, null, null, "oldest"));
        refused("drillSnapshot", new PolicyRequest(null, "@hourly", null, "FULL", null, null, null, null, "undrilled"));
        refused("schedule", new PolicyRequest(null, "every night", null, "DRILL", null, null, null, null, null));
    }

    @Test
    void eachWrongFieldIsNamed() {
        refused("id", new PolicyRequest("Not_A_Label", "@hourly", null, null, null, null, null, null, null));
        refused("timeZone", new PolicyRequest(null, "@hourly", "Mars/Olympus", null, null, null, null, null, null));
        refused("schedule", new PolicyRequest(null, "at noon", null, null, null, null, null, null, null));
        refused("kind", new PolicyRequest(null, "@hourly", null, "INCREMENTAL", null, null, null, null, null));
        refused("jitter", new PolicyRequest(null, "@every 1h", null, null, "2h", null, null, null, null));
        refused("jitter", new PolicyRequest(null, "@hourly", null, null, "soon", null, null, null, null));
        refused("startingDeadlineSeconds", new PolicyRequest(null, "@hourly", null, null, null, -1L, null, null, null));
        refused("retention.keepLast", new PolicyRequest(null, "@hourly", null, null, null, null, new RetentionSpec(0, null, null, null), null, null));
        refused("retention.maxAge", new PolicyRequest(null, "@hourly", null, null, null, null, new RetentionSpec(null, null, "forever", null), null, null));
        refused("body", null);
    }

    private static void refused(String field, PolicyRequest request) {
        InvalidRequestException refusal = assertThrows(InvalidRequestException.class, () -> PolicyResource.validate(request));
        assertEquals(field, refusal.field(), refusal.getMessage());
        assertTrue(refusal.getMessage().length() > 10, refusal.getMessage());
    }
}
