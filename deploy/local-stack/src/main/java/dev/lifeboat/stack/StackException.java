package dev.lifeboat.stack;

/**
 * A piece of the local stack could not start or stop. The message is one line a person can act on:
 * which piece, what went wrong, and how to fix it.
 */
public class StackException extends RuntimeException {

    public StackException(String message) {
        super(message);
    }

    public StackException(String message, Throwable cause) {
        super(message, cause);
    }
}
