package dev.lifeboat.stack;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the server binaries the stack runs, with a fix-it message when one is missing. */
final class Binaries {

    private Binaries() {
    }

    static Path require(String name, String howToInstall) {
        return find(name).orElseThrow(() -> new StackException(
                "'" + name + "' was not found on PATH: " + howToInstall));
    }

    static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The java launcher of the running JVM, used for the broker and S3Proxy child JVMs. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
