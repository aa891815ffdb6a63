package dev.lifeboat.access.etcd;

/** No usable etcd member, or etcd broke the stream: worth retrying. The message names no secret. */
public class EtcdUnavailableException extends RuntimeException {

    public EtcdUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
