package dev.lifeboat.restore.saga;

/** A restore request that cannot be accepted; nothing was stored or touched. */
public class RestoreRefusedException extends RuntimeException {

    private final int status;
    private final String field;

    public RestoreRefusedException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    /** The HTTP answer: 400 for a request that breaks a rule, 404 for an unknown cluster or snapshot, 409 for a conflict. */
    public int status() {
        return status;
    }

    public String field() {
        return field;
    }
}
