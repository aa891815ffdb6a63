package dev.lifeboat.restore.saga;

import dev.lifeboat.events.api.RequestRefusedException;

/** A restore request that cannot be accepted; nothing was stored or touched. */
public class RestoreRefusedException extends RequestRefusedException {

    /** {@code status}: 400 for a request that breaks a rule, 404 for an unknown cluster or snapshot, 409 for a conflict. */
    public RestoreRefusedException(int status, String field, String message) {
        super(status, field, message);
    }
}
