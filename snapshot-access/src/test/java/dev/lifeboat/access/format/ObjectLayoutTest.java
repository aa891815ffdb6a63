package dev.lifeboat.access.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;

/** Object names known at the start, the manifest beside each, and which objects have one. */
class ObjectLayoutTest {

    private static final Instant STARTED = Instant.parse("2026-12-06T17:04:05.678Z");

    @Test
    void namesHoldTheStartTimeTheIdAndTheLayersAndALaterAttemptWritesUnderItsOwnName() {
        assertEquals("lifeboat/prod/full/20261206T170405Z-0123456789abcdef.db.zst.enc",
                ObjectLayout.full("lifeboat/prod", STARTED, "0123456789abcdef", 1, Compression.ZSTD, "k1"));
        assertEquals("lifeboat/prod/full/20261206T170405Z-0123456789abcdef-2.db",
                ObjectLayout.full("lifeboat/prod", STARTED, "0123456789abcdef", 2, Compression.NONE, null));
        assertEquals("p/c/delta/20261206T170405Z-00000000000000aa.delta.gz",
                ObjectLayout.delta("p/c", STARTED, "00000000000000aa", Compression.GZIP, null));
        assertThrows(Ids.InvalidIdException.class, () -> ObjectLayout.full("p/c", STARTED, "../../etc", 1, Compression.NONE, null),
                "an id that could leave the cluster's prefix never becomes a name");
    }

    @Test
    void everyNameThisLayoutGivesHasAManifestAndNoOlderNameOrManifestDoes() {
        for (Compression compression : Compression.values()) {
            for (String keyId : new String[] {null, "k1"}) {
                for (int attempt = 1; attempt <= 12; attempt += 11) {
                    String full = ObjectLayout.full("lifeboat/c", STARTED, Ids.newId(), attempt, compression, keyId);
                    assertTrue(ObjectLayout.hasManifest(full), full);
                    assertFalse(ObjectLayout.hasManifest(ObjectLayout.manifestOf(full)), "a manifest has no manifest");
                    assertTrue(ObjectLayout.isManifest(ObjectLayout.manifestOf(full)));
                }
                assertTrue(ObjectLayout.hasManifest(ObjectLayout.delta("lifeboat/c", STARTED, Ids.newId(), compression, keyId)));
            }
        }
        assertFalse(ObjectLayout.hasManifest("lifeboat/c/full/20261206T170405Z-r42-0123456789abcdef.db.zst"), "named with its revision");
        assertFalse(ObjectLayout.hasManifest("lifeboat/c/delta/20261206T170405Z-r43-r97-0123456789abcdef.delta"), "named with its revisions");
        assertFalse(ObjectLayout.hasManifest("lifeboat/c/full/some-object.db"));
    }

    @Test
    void aManifestHoldsEveryFactAPersonNeedsToRestoreByHand() throws Exception {
        String key = ObjectLayout.full("lifeboat/prod", STARTED, "0123456789abcdef", 1, Compression.ZSTD, "k1");
        SnapshotCompleted facts = new SnapshotCompleted("0123456789abcdef", "req-1", "prod", SnapshotKind.FULL, 4242, null, "backups", key,
                1_000_000, 250_000, "a".repeat(64), "b".repeat(64), "zstd", "k1", "3.5.16", STARTED, STARTED.plusSeconds(9), null, null,
                new SnapshotCompleted.KeyspaceFingerprint(123456789L, 40, 1000));

        JsonNode manifest = EventCodec.json().readTree(ObjectLayout.manifest(facts, "cdf818194e3a8c32"));

        assertEquals(ObjectLayout.MANIFEST_FORMAT, manifest.path("format").asText());
        assertEquals(4242, manifest.path("revision").asLong());
        assertEquals(key, manifest.path("objectKey").asText());
        assertEquals(1_000_000, manifest.path("rawSize").asLong());
        assertEquals(250_000, manifest.path("storedSize").asLong());
        assertEquals("a".repeat(64), manifest.path("rawSha256").asText());
        assertEquals("b".repeat(64), manifest.path("storedSha256").asText());
        assertEquals("zstd", manifest.path("compression").asText());
        assertEquals("k1", manifest.path("encryptionKeyId").asText());
        assertEquals(ObjectLayout.ENCRYPTION, manifest.path("encryption").asText());
        assertEquals("3.5.16", manifest.path("etcdVersion").asText());
        assertEquals("cdf818194e3a8c32", manifest.path("etcdClusterId").asText());
        assertEquals(123456789L, manifest.path("keyspace").path("hash").asLong());
        assertEquals("2026-12-06T17:04:05.678Z", manifest.path("startedAt").asText());
        assertEquals(facts, EventCodec.json().treeToValue(manifest, SnapshotCompleted.class), "the manifest reads back as the event it was made of");
    }
}
