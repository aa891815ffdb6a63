package dev.lifeboat.agent.etcd;

/** etcd would not start, stop or answer as the agent needs; the message says what and where to look. */
public class EtcdProcessException extends RuntimeException {

    public EtcdProcessException(String message) {
        super(message);
    }
}
