package dev.lifeboat.cli;

/**
 * Why a command cannot do what it was asked, with the exit code that says which kind of problem it is
 * (see {@link Lifeboat}). The message is one line for a person; it never holds a secret.
 */
public final class CliException extends RuntimeException {

    /** Done. */
    public static final int OK = 0;
    /** The work ran and failed: a backup or restore ended FAILED, a file is not a valid snapshot. */
    public static final int FAILED = 1;
    /** The request was refused (400, 404, 409 from a service) or the command line is wrong. */
    public static final int REFUSED = 2;
    /** A service could not be reached, or answered with a server error. */
    public static final int UNREACHABLE = 3;
    /** {@code --wait} gave up after {@code --timeout}; the work may still be running. */
    public static final int TIMED_OUT = 4;
    /** No valid token (401), or the token's roles or clusters do not allow the call (403). */
    public static final int DENIED = 5;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
