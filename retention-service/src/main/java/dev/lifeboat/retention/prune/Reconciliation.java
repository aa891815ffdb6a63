package dev.lifeboat.retention.prune;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.ObjectStore.StoredObject;
import dev.lifeboat.retention.knowledge.OrphanRecord;
import dev.lifeboat.retention.knowledge.SnapshotRecord;

/**
 * What a listing of a cluster's prefix in its bucket means for its catalog — decided here without a database
 * or a bucket, applied by {@link Retention#reconcile}:
 * <ul>
 * <li>{@code vanished}: Completed entries whose object is gone, or not the size the catalog records (truncated or
 * replaced), or whose manifest is gone (objects named by {@link ObjectLayout} have one: it marks the backup complete),
 * each with what was found (they become MISSING and are announced);</li>
 * <li>{@code reappeared}: MISSING entries whose object is back with its recorded size, and its manifest where it has one
 * (Completed again, announced);</li>
 * <li>{@code orphansGone}: recorded orphans whose object is gone, or which a snapshot now claims (forgotten);</li>
 * <li>{@code orphansDue}: recorded orphans first seen longer than the grace period ago (their objects are deleted);</li>
 * <li>{@code newOrphans}: objects neither the catalog nor the orphan list knows (recorded, first seen now); a manifest
 * whose object no entry claims is one too.</li>
 * </ul>
 */
record Reconciliation(List<Vanished> vanished, List<SnapshotRecord> reappeared, List<String> orphansGone, List<OrphanRecord> orphansDue,
        List<StoredObject> newOrphans) {

    /** A Completed entry that is no backup any more, and why. */
    record Vanished(SnapshotRecord row, String reason) {
    }

    /**
     * Compares {@code catalogued} (the cluster's entries in the bucket that are not DELETED) and the
     * {@code orphans} recorded before with the {@code objects} listed, by key.
     */
    static Reconciliation of(Collection<SnapshotRecord> catalogued, Collection<OrphanRecord> orphans, Map<String, StoredObject> objects,
            Instant now, Duration grace) {
        Set<String> known = new HashSet<>();
        List<Vanished> vanished = new ArrayList<>();
        List<SnapshotRecord> reappeared = new ArrayList<>();
        for (SnapshotRecord row : catalogued) {
            known.add(row.objectKey);
            String manifest = ObjectLayout.manifestOf(row.objectKey);
            boolean marked = !ObjectLayout.hasManifest(row.objectKey) || objects.containsKey(manifest);
            if (ObjectLayout.hasManifest(row.objectKey)) {
                known.add(manifest);
            }
            StoredObject object = objects.get(row.objectKey);
            boolean intact = object != null && object.size() == row.storedSize && marked;
            if (row.state == SnapshotRecord.State.COMPLETED && !intact) {
                vanished.add(new Vanished(row, object == null ? "its object is gone from the bucket"
                        : object.size() != row.storedSize
                                ? "its object has " + object.size() + " bytes, not the " + row.storedSize
                                        + " recorded when it was stored (truncated or replaced)"
                                : "its manifest " + manifest + " is gone from the bucket: nothing marks the object a complete backup"));
            } else if (row.state == SnapshotRecord.State.MISSING && intact) {
                reappeared.add(row);
            }
        }
        Set<String> recorded = new HashSet<>();
        List<String> gone = new ArrayList<>();
        List<OrphanRecord> due = new ArrayList<>();
        for (OrphanRecord orphan : orphans) {
            recorded.add(orphan.objectKey);
            if (!objects.containsKey(orphan.objectKey) || known.contains(orphan.objectKey)) {
                gone.add(orphan.objectKey);
            } else if (orphan.firstSeen.plus(grace).isBefore(now)) {
                due.add(orphan);
            }
        }
        List<StoredObject> found = objects.values().stream().filter(o -> !known.contains(o.key()) && !recorded.contains(o.key()))
                .sorted(java.util.Comparator.comparing(StoredObject::key)).toList();
        return new Reconciliation(vanished, reappeared, gone, due, found);
    }
}
