package dev.lifeboat.events.api;

/**
 * A request that cannot be accepted; nothing was stored or changed. Answered with its status (400 for a broken
 * rule, 404 for something unknown, 409 for a conflict) and, where one field is at fault, that field.
 */
public class RequestRefusedException extends RuntimeException {

    private final int status;
    private final String field;

    public RequestRefusedException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    public int status() {
        return status;
    }

    public String field() {
        return field;
    }
}
