package dev.lifeboat.access.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;


/** Every compression and encryption combination gives back the bytes it was given. */
class StoredFormatTest {

    private static final byte[] KEY_A = key(1);
    private static final byte[] KEY_B = key(2);

    private static byte[] key(int seed) {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        return key;
    }

    @Test
    void roundTripsEveryCombination() throws IOException {
        StoredFormat format = new StoredFormat(new KeyRing(Map.of("a", KEY_A, "b", KEY_B), Optional.of("b")));
        byte[] plain = new byte[3 * KeyRing.SEGMENT + 12345];
        Random random = new Random(3);
        for (int i = 0; i < plain.length; i += 2) {
            plain[i] = (byte) random.nextInt(16);
        }
        for (Compression compression : Compression.values()) {
            for (String keyId : new String[] {null, "a", "b"}) {
                ByteArrayOutputStream stored = new ByteArrayOutputStream();
                try (OutputStream out = format.writer(stored, compression, 3, 2, keyId)) {
                    out.write(plain);
                }
                byte[] bytes = stored.toByteArray();
                if (compression != Compression.NONE) {
                    assertTrue(bytes.length < plain.length, compression + " compresses");
                }
                if (keyId != null) {
                    assertTrue(indexOf(bytes, Arrays.copyOfRange(plain, 1000, 1064)) < 0 || compression != Compression.NONE,
                            "encrypted bytes do not show the plain text");
                }
                try (InputStream in = format.reader(new ByteArrayInputStream(bytes), compression, keyId)) {
                    assertArrayEquals(plain, in.readAllBytes(), compression + " with key " + keyId);
                }
            }
        }
    }

    @Test
    void theWrongKeyIsRefused() throws IOException {
        KeyRing writer = new KeyRing(Map.of("a", KEY_A), Optional.of("a"));
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = new StoredFormat(writer).writer(stored, Compression.NONE, 3, 2, "a")) {
            out.write(new byte[100_000]);
        }
        KeyRing wrongMaterial = new KeyRing(Map.of("a", KEY_B), Optional.empty());
        IOException e = assertThrows(IOException.class, () -> {
            try (InputStream in = new StoredFormat(wrongMaterial).reader(new ByteArrayInputStream(stored.toByteArray()),
                    Compression.NONE, "a")) {
                in.readAllBytes();
            }
        });
        assertTrue(!e.getMessage().contains(java.util.HexFormat.of().formatHex(KEY_B)));
        IOException unknown = assertThrows(IOException.class, () -> new StoredFormat(writer)
                .reader(new ByteArrayInputStream(stored.toByteArray()), Compression.NONE, "retired"));
        assertEquals("the snapshot is encrypted with key 'retired', which is not configured (lifeboat.encryption.keys)",
                unknown.getMessage());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
