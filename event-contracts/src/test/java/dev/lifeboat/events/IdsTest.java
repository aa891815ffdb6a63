package dev.lifeboat.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Ids made of other ids: readable when they fit a DNS label, a stable hash when they do not. */
class IdsTest {

    @Test
    void aDerivedIdIsItsPartsWhenTheyFitAndAStableUnambiguousHashWhenNot() {
        assertEquals("policy-prod-nightly-1765000000", Ids.derived("policy-", "-1765000000", "prod", "nightly"));
        assertEquals("restore-r1", Ids.derived("restore-", "", "r1"));

        String longPolicy = "a-rather-long-policy-id-for-the-nightly-restore-drill-of-prod";
        String hashed = Ids.derived("policy-", "-1765000000", "prod", longPolicy);
        assertTrue(hashed.matches("policy-[0-9a-f]{16}-1765000000"), hashed);
        assertTrue(Ids.valid(hashed));
        assertEquals(hashed, Ids.derived("policy-", "-1765000000", "prod", longPolicy), "the same parts give the same id");
        assertNotEquals(hashed, Ids.derived("policy-", "-1765000000", "prod-a", longPolicy.substring(2)),
                "parts that read the same joined by '-' hash apart");
        String longRestore = "r".repeat(60);
        assertTrue(Ids.derived("restore-", "", longRestore).matches("restore-[0-9a-f]{16}"));
    }
}
