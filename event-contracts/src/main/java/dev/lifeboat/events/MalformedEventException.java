package dev.lifeboat.events;

/**
 * A record that is not a valid Lifeboat event: bad JSON, an unknown type, a missing field. The
 * consumer nacks it, so it goes to the service's dead-letter topic with this message as the reason.
 */
public class MalformedEventException extends RuntimeException {

    public MalformedEventException(String message) {
        super(message);
    }

    public MalformedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
