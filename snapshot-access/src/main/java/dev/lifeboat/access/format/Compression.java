package dev.lifeboat.access.format;

/** Compression of stored snapshots; the object name ends in the suffix. */
public enum Compression {
    NONE(""), ZSTD(".zst"), GZIP(".gz");

    private final String suffix;

    Compression(String suffix) {
        this.suffix = suffix;
    }

    public String suffix() {
        return suffix;
    }
}
