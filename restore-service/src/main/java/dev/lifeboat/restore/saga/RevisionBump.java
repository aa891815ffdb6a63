package dev.lifeboat.restore.saga;

/**
 * How far a REPLACE restore moves etcd's revision forward ({@code etcdutl snapshot restore --bump-revision}).
 *
 * <p>After a restore, every revision the cluster serves must be above every revision it served before;
 * otherwise a Kubernetes watch cache or informer holding revision r would take the restored keyspace's
 * smaller revisions as "nothing new" and serve stale objects. The bump is the larger of the configured
 * floor (10⁹ by default, as the Kubernetes documentation recommends) and twice the revisions Lifeboat
 * knows were written after the restored revision (the newest snapshot or delta of the cluster), the
 * factor leaving room for writes made after the newest backup. A floor of 0 turns bumping off.
 */
public final class RevisionBump {

    private RevisionBump() {
    }

    /**
     * @param floor             configured minimum ({@code lifeboat.restore.bump-revision}); 0 for no bump
     * @param restoredRevision  revision of the keyspace being restored
     * @param newestKnown       newest revision Lifeboat saw for the cluster (snapshots and deltas), or null
     */
    public static long size(long floor, long restoredRevision, Long newestKnown) {
        if (floor < 0) {
            throw new IllegalArgumentException("lifeboat.restore.bump-revision must be 0 or more, was " + floor);
        }
        if (floor == 0) {
            return 0;
        }
        if (newestKnown == null || newestKnown <= restoredRevision) {
            return floor;
        }
        long written = newestKnown - restoredRevision;
        long sized = written > Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 2 : 2 * written;
        return Math.max(floor, sized);
    }
}
