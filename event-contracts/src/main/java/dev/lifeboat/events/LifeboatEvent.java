package dev.lifeboat.events;

/**
 * An event contract: an immutable, versioned record with a JSON body. Its CloudEvents type and topic
 * come from {@link EventType}.
 */
public interface LifeboatEvent {

    /** The cluster the event is about; the CloudEvents subject. */
    String clusterId();

    /** The Kafka key: the cluster id, so one cluster's events stay ordered. */
    default String partitionKey() {
        return clusterId();
    }
}
