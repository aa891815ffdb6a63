package dev.lifeboat.events;

import java.time.Instant;
import java.util.UUID;

/**
 * A decoded event with its CloudEvents attributes.
 *
 * @param id      {@code ce_id}: the idempotency key of consumers
 * @param source  {@code ce_source}: the emitting service
 * @param subject {@code ce_subject}: the cluster id
 */
public record ReceivedEvent<T extends LifeboatEvent>(UUID id, EventType type, String source, String subject, Instant time,
        T payload) {
}
