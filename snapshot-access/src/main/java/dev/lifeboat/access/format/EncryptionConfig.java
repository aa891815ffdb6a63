package dev.lifeboat.access.format;

import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/** Encryption at rest, under {@code lifeboat.encryption}: the same keys write and read snapshots. */
@ConfigMapping(prefix = "lifeboat.encryption")
public interface EncryptionConfig {

    /** The key that encrypts new snapshots; absent: stored in the clear. */
    Optional<String> activeKey();

    /** Keys by id; old ones stay so that old snapshots remain readable after a rotation. */
    Map<String, Key> keys();

    interface Key {

        /** A file holding the 32-byte key, base64-encoded. */
        Optional<String> file();

        /** An environment variable holding the 32-byte key, base64-encoded. */
        Optional<String> env();
    }
}
