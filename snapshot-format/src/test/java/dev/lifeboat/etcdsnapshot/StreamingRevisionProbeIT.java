package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The revision learned from the stream equals the one read from the file, whatever the chunking. */
class StreamingRevisionProbeIT {

    @Test
    void agreesWithTheFileReaderOnLoadedAndEmptySnapshots() throws Exception {
        for (Path snapshot : new Path[] {EtcdFixture.loaded().snapshot, EtcdFixture.empty().snapshot}) {
            long expected;
            try (EtcdSnapshot file = EtcdSnapshot.open(snapshot)) {
                expected = file.storeRevision(file.status());
            }
            byte[] bytes = Files.readAllBytes(snapshot);
            for (int chunk : new int[] {1000, 4096, 65536, 1 << 20}) {
                HashTrailer trailer = new HashTrailer(new StreamingRevisionProbe());
                for (int offset = 0; offset < bytes.length; offset += chunk) {
                    trailer.update(bytes, offset, Math.min(chunk, bytes.length - offset));
                }
                assertEquals(expected, trailer.finish().revision(), snapshot + " in chunks of " + chunk);
            }
        }
        try (EtcdSnapshot loaded = EtcdSnapshot.open(EtcdFixture.loaded().snapshot)) {
            assertTrue(loaded.status().revision() > 900, "many revisions: " + loaded.status().revision());
        }
    }
}
