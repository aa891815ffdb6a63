package dev.lifeboat.restore.etcd;

/** A restore step cannot go on; the message says why for a person and holds no secret or value. */
public class RestoreException extends RuntimeException {

    public RestoreException(String message) {
        super(message);
    }

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
