package dev.lifeboat.cli;

import picocli.CommandLine.Option;

/** {@code -o table|json}, on every command that prints an answer (not on {@code snapshots download}, where {@code -o} is the file). */
final class Format {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table (default) or json")
    String value;

    Output.Format parse() {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "json" -> Output.Format.JSON;
            case "table" -> Output.Format.TABLE;
            default -> throw new CliException(CliException.REFUSED, "--output must be table or json, not '" + value + "'");
        };
    }
}
