package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The pause and resume command hooks of the tests (see application.properties, %test): shell scripts
 * under target/ that append "pause <restore id>" or "resume <restore id>" to a log, and that a test
 * can make overrun.
 */
final class RestoreHooks {

    static final Path PAUSE = Path.of("target", "hooks", "pause.sh");
    static final Path RESUME = Path.of("target", "hooks", "resume.sh");
    static final Path LOG = Path.of("target", "hooks", "calls.log");

    private RestoreHooks() {
    }

    /** Hooks that succeed at once; an empty log. */
    static void reset() {
        write(PAUSE, "echo \"pause $LIFEBOAT_RESTORE_ID\" >> " + LOG.toAbsolutePath() + "\n");
        write(RESUME, "echo \"resume $LIFEBOAT_RESTORE_ID\" >> " + LOG.toAbsolutePath() + "\n");
        write(LOG, "");
    }

    /** A pause hook that runs longer than its timeout. */
    static void pauseSleeps(int seconds) {
        write(PAUSE, "sleep " + seconds + "\n");
    }

    static List<String> calls() throws IOException {
        return Files.readAllLines(LOG);
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
