package dev.lifeboat.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one table {@code make bench} prints. Each benchmark hands its figures here as rows: a measure with Lifeboat's
 * figure, the peer it is measured against in the same run, the ratio, the goal and whether it is met; and each service's
 * resident memory in a situation (idle, or under the benchmark that loads it most). A row is printed at once
 * ({@code TABLE ...}) and, when the environment names a file in {@value #FILE_VARIABLE}, appended to it as one
 * tab-separated line; {@link #main} renders that file as two Markdown tables.
 */
public final class BenchTable {

    /** The environment variable naming the file rows are appended to. */
    public static final String FILE_VARIABLE = "LIFEBOAT_BENCH_TABLE";

    private static final String RATIO = "ratio";
    private static final String MEMORY = "memory";

    private BenchTable() {
    }

    /**
     * A measure: Lifeboat's figure and the peer's as people read them ("13.0 s"), the ratio (Lifeboat / peer, or figure /
     * goal where the goal is an absolute figure) and the goal ("<= 1.1").
     */
    public static void row(String measure, String lifeboat, String peer, double ratio, String goal, boolean met) {
        write(List.of(RATIO, measure, lifeboat, peer, String.format(Locale.ROOT, "%.2f", ratio), goal, met ? "yes" : "no"));
    }

    /** A service's resident memory (VmRSS) in a situation: "idle", or the benchmark that loads it most. */
    public static void memory(String service, String situation, long bytes) {
        write(List.of(MEMORY, service, situation, (bytes >> 20) + " MB"));
    }

    /**
     * A service's resident memory and, beside it, its anonymous part (RssAnon: heap, stacks, buffers), for a process
     * that maps files: their pages count in VmRSS but are the kernel's page cache to reclaim.
     */
    public static void memory(String service, String situation, long bytes, long anonymousBytes) {
        write(List.of(MEMORY, service, situation, (bytes >> 20) + " MB (anon " + (anonymousBytes >> 20) + " MB)"));
    }

    private static void write(List<String> fields) {
        for (String field : fields) {
            if (field.contains("\t") || field.contains("\n")) {
                throw new IllegalArgumentException("a table field holds a tab or a line break: " + field);
            }
        }
        String line = String.join("\t", fields);
        System.out.println("TABLE " + line.replace('\t', '|'));
        String file = System.getenv(FILE_VARIABLE);
        if (file == null || file.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot append to the benchmark table " + file + ": " + e.getMessage(), e);
        }
    }

    /** The two tables, in Markdown, of the rows in {@code lines}. */
    public static String render(List<String> lines) {
        StringBuilder ratios = new StringBuilder("| measure | Lifeboat | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n");
        Map<String, Map<String, String>> memory = new LinkedHashMap<>();
        List<String> situations = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (RATIO.equals(fields[0]) && fields.length == 7) {
                ratios.append("| ").append(String.join(" | ", List.of(fields).subList(1, 7))).append(" |\n");
            } else if (MEMORY.equals(fields[0]) && fields.length == 4) {
                memory.computeIfAbsent(fields[1], service -> new LinkedHashMap<>()).merge(fields[2], fields[3], (a, b) -> b);
                if (!situations.contains(fields[2])) {
                    situations.add(fields[2]);
                }
            } else {
                throw new IllegalArgumentException("not a row of the benchmark table: " + line.replace('\t', '|'));
            }
        }
        StringBuilder out = new StringBuilder(ratios);
        if (!memory.isEmpty()) {
            out.append("\n| service (RSS) | ").append(String.join(" | ", situations)).append(" |\n|---|")
                    .append("---|".repeat(situations.size())).append('\n');
            memory.forEach((service, bySituation) -> {
                out.append("| ").append(service);
                for (String situation : situations) {
                    out.append(" | ").append(bySituation.getOrDefault(situation, ""));
                }
                out.append(" |\n");
            });
        }
        return out.toString();
    }

    /** Prints the tables of the file given as the only argument; a file with no rows is an error. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: BenchTable <file of rows>");
        }
        Path file = Path.of(args[0]);
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        if (lines.stream().allMatch(String::isBlank)) {
            System.err.println("no benchmark wrote a row to " + file + ": did every benchmark fail?");
            System.exit(1);
        }
        System.out.print(render(lines));
    }
}
