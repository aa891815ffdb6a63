package dev.lifeboat.access.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Encryption at rest: Tink's streaming AEAD AES256-GCM-HKDF-SHA256 with 1 MiB segments, keys of 32
 * bytes (base64 in a file or an environment variable), the key id as associated data. Several keys may
 * be configured; new snapshots use the active one, old ones are read with the key whose id they carry.
 * Key material never leaves this class and never appears in a message.
 */
@ApplicationScoped
public class KeyRing {

    /** Segment size of the stored format. */
    public static final int SEGMENT = 1 << 20;

    private final Map<String, AesGcmHkdfStreaming> keys = new HashMap<>();
    private final Optional<String> active;

    @Inject
    public KeyRing(EncryptionConfig config) {
        config.keys().forEach((id, key) -> keys.put(id, load(id, key)));
        this.active = config.activeKey();
        requireActiveKnown();
    }

    /** A key ring from raw 32-byte keys, for tools and tests. */
    public KeyRing(Map<String, byte[]> rawKeys, Optional<String> active) {
        rawKeys.forEach((id, key) -> keys.put(id, streaming(key)));
        this.active = active;
        requireActiveKnown();
    }

    private void requireActiveKnown() {
        active.ifPresent(id -> {
            if (!keys.containsKey(id)) {
                throw new IllegalArgumentException("lifeboat.encryption.active-key names '" + id
                        + "', which is not among lifeboat.encryption.keys");
            }
        });
    }

    private static AesGcmHkdfStreaming load(String id, EncryptionConfig.Key key) {
        String encoded;
        if (key.file().isPresent()) {
            try {
                encoded = Files.readString(Path.of(key.file().get()), StandardCharsets.US_ASCII).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("lifeboat.encryption.keys." + id + ".file: cannot read " + key.file().get());
            }
        } else if (key.env().isPresent()) {
            encoded = System.getenv(key.env().get());
            if (encoded == null) {
                throw new IllegalArgumentException("lifeboat.encryption.keys." + id + ".env: " + key.env().get() + " is not set");
            }
        } else {
            throw new IllegalArgumentException("lifeboat.encryption.keys." + id + " needs a file or an env");
        }
        byte[] material;
        try {
            material = Base64.getDecoder().decode(encoded.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lifeboat.encryption.keys." + id + " is not base64");
        }
        if (material.length != 32) {
            throw new IllegalArgumentException("lifeboat.encryption.keys." + id + " must be 32 bytes, not " + material.length);
        }
        return streaming(material);
    }

    /** The stored format for a raw 32-byte key; also what the CLI uses to decrypt. */
    public static AesGcmHkdfStreaming streaming(byte[] key) {
        try {
            return new AesGcmHkdfStreaming(key, "HmacSha256", 32, SEGMENT, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM-HKDF streaming is not available in this Java runtime", e);
        }
    }

    /** The key that encrypts new snapshots, if any. */
    public Optional<String> activeKey() {
        return active;
    }

    public OutputStream encrypt(String keyId, OutputStream out) throws IOException {
        try {
            return key(keyId).newEncryptingStream(out, keyId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot start encrypting with key '" + keyId + "'", e);
        }
    }

    public InputStream decrypt(String keyId, InputStream in) throws IOException {
        try {
            return key(keyId).newDecryptingStream(in, keyId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot start decrypting with key '" + keyId + "'", e);
        }
    }

    private AesGcmHkdfStreaming key(String keyId) throws IOException {
        AesGcmHkdfStreaming key = keys.get(keyId);
        if (key == null) {
            throw new IOException("the snapshot is encrypted with key '" + keyId + "', which is not configured (lifeboat.encryption.keys)");
        }
        return key;
    }
}
