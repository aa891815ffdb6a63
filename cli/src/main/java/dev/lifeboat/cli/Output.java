package dev.lifeboat.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** What a command prints: a table for people (the default) or the services' JSON for runbooks ({@code -o json}). */
final class Output {

    enum Format {
        TABLE, JSON
    }

    private final PrintWriter out;
    private final Format format;

    Output(PrintWriter out, Format format) {
        this.out = out;
        this.format = format;
    }

    boolean json() {
        return format == Format.JSON;
    }

    PrintWriter writer() {
        return out;
    }

    /** The JSON as the service answered it, pretty-printed. */
    void print(JsonNode node) {
        try {
            out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new CliException(CliException.FAILED, "cannot print the answer: " + e.getMessage());
        }
        out.flush();
    }

    /** A line for people; nothing in JSON mode, where only the answer is printed. */
    /** The service's answer as JSON with {@code -o json}; otherwise one line for a person. */
    void answer(JsonNode node, String line) {
        if (json()) {
            print(node);
        } else {
            say(line);
        }
    }

    void say(String line) {
        if (!json()) {
            out.println(line);
            out.flush();
        }
    }

    /** Columns of text, each as wide as its widest cell. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final int columns;

        Table(String... headers) {
            this.columns = headers.length;
            rows.add(headers);
        }

        Table row(Object... cells) {
            String[] text = new String[columns];
            for (int i = 0; i < columns; i++) {
                Object cell = i < cells.length ? cells[i] : null;
                text[i] = cell == null ? "-" : cell.toString();
            }
            rows.add(text);
            return this;
        }

        void print(PrintWriter out) {
            int[] widths = new int[columns];
            for (String[] row : rows) {
                for (int i = 0; i < columns; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
            out.flush();
        }
    }

    /** A field as text, or null when absent. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? null : value.asText();
    }

    /** Bytes for people: 1.2 MB. */
    static String bytes(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isNumber()) {
            return null;
        }
        double bytes = value.asDouble();
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        int unit = 0;
        while (bytes >= 1000 && unit < units.length - 1) {
            bytes /= 1000;
            unit++;
        }
        return unit == 0 ? (long) bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", bytes, units[unit]);
    }
}
