package dev.lifeboat.events.consumer;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Readiness: DOWN while an event consumer has waited longer than {@link EventConsumer#STALLED_AFTER} on a record
 * it cannot process yet (a dependency unreachable), naming the consumer, since when and why. Nothing is lost
 * meanwhile: the record is tried again until it succeeds.
 */
@Readiness
@ApplicationScoped
public class ConsumersHealth implements HealthCheck {

    private final EventConsumer consumer;

    public ConsumersHealth(EventConsumer consumer) {
        this.consumer = consumer;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder answer = HealthCheckResponse.named("event consumers").up();
        Instant now = Instant.now();
        for (Map.Entry<String, EventConsumer.Stall> stalled : consumer.stalled().entrySet()) {
            Duration waiting = Duration.between(stalled.getValue().since(), now);
            if (waiting.compareTo(EventConsumer.STALLED_AFTER) > 0) {
                answer.down().withData(stalled.getKey(), "waiting " + waiting.toSeconds() + " s on one record: " + stalled.getValue().reason());
            }
        }
        return answer.build();
    }
}
