package dev.lifeboat.retention.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lifeboat.access.store.ObjectStore.StoredObject;
import dev.lifeboat.retention.knowledge.OrphanRecord;
import dev.lifeboat.retention.knowledge.SnapshotRecord;

/** What a bucket listing means for the catalog, without a database or a bucket. */
class ReconciliationTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Duration GRACE = Duration.ofHours(1);

    @Test
    void aCompletedEntryWithoutItsObjectVanishesAndAMissingOneWhoseObjectIsBackReappears() {
        SnapshotRecord kept = entry("a", SnapshotRecord.State.COMPLETED);
        SnapshotRecord gone = entry("b", SnapshotRecord.State.COMPLETED);
        SnapshotRecord back = entry("c", SnapshotRecord.State.MISSING);
        SnapshotRecord stillMissing = entry("d", SnapshotRecord.State.MISSING);
        SnapshotRecord deleting = entry("e", SnapshotRecord.State.DELETING);

        Reconciliation found = Reconciliation.of(List.of(kept, gone, back, stillMissing, deleting), List.of(), objects("a", "c"), NOW, GRACE);

        assertEquals(List.of(new Reconciliation.Vanished(gone, "its object is gone from the bucket")), found.vanished());
        assertEquals(List.of(back), found.reappeared());
        assertEquals(List.of(), found.newOrphans(), "every listed object has an entry");
    }

    @Test
    void anObjectOfAnotherSizeThanRecordedIsNoBackupAndComesBackOnlyWithItsSize() {
        SnapshotRecord truncated = entry("a", SnapshotRecord.State.COMPLETED);
        truncated.storedSize = 4096;
        SnapshotRecord stillWrong = entry("b", SnapshotRecord.State.MISSING);
        stillWrong.storedSize = 4096;

        Reconciliation found = Reconciliation.of(List.of(truncated, stillWrong), List.of(), objects("a", "b"), NOW, GRACE);

        assertEquals(List.of(new Reconciliation.Vanished(truncated, "its object has 1 bytes, not the 4096 recorded when it was stored "
                + "(truncated or replaced)")), found.vanished());
        assertEquals(List.of(), found.reappeared(), "a MISSING entry whose object has the wrong size stays MISSING");
        assertEquals(List.of(), found.newOrphans(), "an entry's object of the wrong size is not an orphan: it is never deleted as one");
    }

    @Test
    void anUnknownObjectBecomesAnOrphanAndIsDueOnlyAfterTheGracePeriod() {
        OrphanRecord young = orphan("young", NOW.minus(Duration.ofMinutes(59)));
        OrphanRecord old = orphan("old", NOW.minus(Duration.ofMinutes(61)));

        Reconciliation found = Reconciliation.of(List.of(), List.of(young, old), objects("young", "old", "new"), NOW, GRACE);

        assertEquals(List.of("new"), found.newOrphans().stream().map(StoredObject::key).toList());
        assertEquals(List.of(old), found.orphansDue());
        assertEquals(List.of(), found.orphansGone());
    }

    @Test
    void anOrphanWhoseObjectIsGoneOrThatASnapshotNowClaimsIsForgottenNotDeleted() {
        SnapshotRecord claiming = entry("claimed", SnapshotRecord.State.COMPLETED);
        OrphanRecord claimed = orphan("claimed", NOW.minus(Duration.ofDays(2)));
        OrphanRecord vanished = orphan("vanished", NOW.minus(Duration.ofDays(2)));

        Reconciliation found = Reconciliation.of(List.of(claiming), List.of(claimed, vanished), objects("claimed"), NOW, GRACE);

        assertEquals(List.of("claimed", "vanished"), found.orphansGone());
        assertEquals(List.of(), found.orphansDue(), "an object a snapshot claims is never deleted as an orphan");
        assertEquals(List.of(), found.vanished());
    }

    @Test
    void aBackupNamedWithAManifestIsCompleteOnlyWithItAndItsManifestIsKnownNotAnOrphan() {
        String marked = "lifeboat/c/full/20261205T110000Z-0123456789abcdef.db.zst";
        String unmarked = "lifeboat/c/full/20261205T100000Z-fedcba9876543210-2.db.zst.enc";
        String returned = "lifeboat/c/delta/20261205T090000Z-00000000000000aa.delta";
        String legacy = "lifeboat/c/full/20261205T080000Z-r42-00000000000000bb.db";
        SnapshotRecord complete = entry(marked, SnapshotRecord.State.COMPLETED);
        SnapshotRecord manifestGone = entry(unmarked, SnapshotRecord.State.COMPLETED);
        SnapshotRecord manifestBack = entry(returned, SnapshotRecord.State.MISSING);
        SnapshotRecord old = entry(legacy, SnapshotRecord.State.COMPLETED);
        String strayManifest = "lifeboat/c/full/20261205T070000Z-00000000000000cc.db.manifest.json";

        Reconciliation found = Reconciliation.of(List.of(complete, manifestGone, manifestBack, old), List.of(),
                objects(marked, marked + ".manifest.json", unmarked, returned, returned + ".manifest.json", legacy, strayManifest), NOW, GRACE);

        assertEquals(List.of(new Reconciliation.Vanished(manifestGone, "its manifest " + unmarked + ".manifest.json is gone from the bucket: "
                + "nothing marks the object a complete backup")), found.vanished(), "a legacy object has no manifest and needs none");
        assertEquals(List.of(manifestBack), found.reappeared());
        assertEquals(List.of(strayManifest), found.newOrphans().stream().map(StoredObject::key).toList(),
                "a manifest whose object no entry claims is an orphan; the manifests of entries are not");
    }

    private static SnapshotRecord entry(String key, SnapshotRecord.State state) {
        SnapshotRecord row = new SnapshotRecord();
        row.id = key;
        row.objectKey = key;
        row.state = state;
        row.storedSize = 1;
        return row;
    }

    private static OrphanRecord orphan(String key, Instant firstSeen) {
        OrphanRecord orphan = new OrphanRecord();
        orphan.objectKey = key;
        orphan.firstSeen = firstSeen;
        return orphan;
    }

    private static Map<String, StoredObject> objects(String... keys) {
        Map<String, StoredObject> objects = new LinkedHashMap<>();
        for (String key : keys) {
            objects.put(key, new StoredObject(key, 1, NOW));
        }
        return objects;
    }
}
