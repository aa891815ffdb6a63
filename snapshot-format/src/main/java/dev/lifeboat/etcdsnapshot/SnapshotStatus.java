package dev.lifeboat.etcdsnapshot;

/**
 * What {@code etcdctl snapshot status} reports, computed the same way, plus the live key count.
 *
 * @param hash      CRC-32 (Castagnoli) over every bucket's name, then its keys and values, in order
 * @param revision  main revision of the last entry of the key bucket (0 when it is empty)
 * @param totalKey  entries of all buckets, as etcd 3.4/3.5 count them
 * @param totalSize high-water page × page size
 * @param liveKeys  distinct keys alive at the snapshot's revision
 */
public record SnapshotStatus(long hash, long revision, long totalKey, long totalSize, long liveKeys) {

    /** The JSON of {@code etcdctl snapshot status -w json}, with {@code liveKeys} added. */
    public String toJson() {
        return "{\"hash\":" + hash + ",\"revision\":" + revision + ",\"totalKey\":" + totalKey + ",\"totalSize\":" + totalSize
                + ",\"liveKeys\":" + liveKeys + "}";
    }
}
