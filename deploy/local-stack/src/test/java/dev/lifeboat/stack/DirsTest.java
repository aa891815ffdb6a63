package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirsTest {

    @Test
    void aPreviousRunsFilesAreGoneAndTheFolderIsThere(@TempDir Path temp) throws Exception {
        Path dir = temp.resolve("bench");
        Files.createDirectories(dir.resolve("stack/s3/bucket"));
        Files.writeString(dir.resolve("stack/s3/bucket/object"), "old");
        Files.writeString(dir.resolve("etcdctl-save.db"), "old");

        assertEquals(dir, Dirs.fresh(dir));
        assertTrue(Files.isDirectory(dir));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "nothing of the previous run is left");
        }
        assertEquals(temp.resolve("new"), Dirs.fresh(temp.resolve("new")), "a missing folder is created");
        assertTrue(Files.isDirectory(temp.resolve("new")));
    }
}
