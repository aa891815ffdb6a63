package dev.lifeboat.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Folders of the benchmarks' stacks. */
public final class Dirs {

    private Dirs() {
    }

    /**
     * {@code dir} emptied and created: a benchmark starts from a fresh stack (a fresh database, an empty
     * bucket) instead of adding its gigabytes to the previous run's.
     */
    public static Path fresh(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> old = Files.walk(dir)) {
                for (Path file : old.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        return Files.createDirectories(dir);
    }
}
