package dev.lifeboat.access.store;

/** The object store failed or refused a call; usually worth retrying. */
public class ObjectStoreException extends RuntimeException {

    public ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
