package dev.lifeboat.agent.drill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a drill fits on its file system and still leaves the configured room free (the member's etcd may share it). */
final class DiskBudget {

    private DiskBudget() {
    }

    /** Why {@code needed} more bytes in {@code dir} would leave less than {@code keepFree} free, or null when they fit. */
    static String shortfall(Path dir, long needed, long keepFree) throws IOException {
        return shortfall(dir.toString(), Files.getFileStore(dir).getUsableSpace(), needed, keepFree);
    }

    /** The rule, on the figures: {@code usable - needed >= keepFree}. */
    static String shortfall(String where, long usable, long needed, long keepFree) {
        if (usable - needed >= keepFree) {
            return null;
        }
        return where + " has " + megabytes(usable) + " free; the drill needs " + megabytes(needed) + " (the db fetched and restored) and must "
                + "leave " + megabytes(keepFree) + " free (lifeboat.agent.drill-keep-free)";
    }

    private static String megabytes(long bytes) {
        return bytes < 10_000_000 ? bytes + " bytes" : String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
