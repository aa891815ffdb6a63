package dev.lifeboat.access.etcd;

/** etcd refused us (credentials, permissions, TLS): retrying will not help. The message names no secret. */
public class EtcdRejectedException extends RuntimeException {

    public EtcdRejectedException(String message) {
        super(message);
    }
}
