package dev.lifeboat.events.outbox;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Configuration of the shared event backbone, under {@code lifeboat.events}. */
@ConfigMapping(prefix = "lifeboat.events")
public interface EventsConfig {

    /** The service's own PostgreSQL schema: its tables, outbox and processed events live there. */
    String schema();

    /** The CloudEvents {@code ce_source} of every event this service emits. */
    @WithDefault("lifeboat/${quarkus.application.name}")
    String source();

    /** The outbox relay, which publishes committed outbox rows to Kafka. */
    Relay relay();

    /** How long the event log (published outbox rows, the record of processed events) is kept. */
    Retention retention();

    interface Retention {

        /** Rows older than this are deleted (hourly); longer than the topics' retention, so that a redelivery is still recognised. */
        @WithDefault("30d")
        Duration keep();
    }

    interface Relay {

        /** Whether this instance runs a relay. Replicas may all run one: a database lock lets one publish at a time. */
        @WithDefault("true")
        boolean enabled();

        /**
         * How long the relay sleeps when it found nothing to publish and cannot listen for commits (PostgreSQL's
         * {@code LISTEN lifeboat_outbox} failed); while it listens it waits for a commit instead.
         */
        @WithDefault("100ms")
        Duration pollInterval();

        /**
         * While listening for commits: the longest the relay waits without one before it looks at the table anyway (a
         * notification is not lost while the connection lives; a broken connection ends the wait at once).
         */
        @WithDefault("30s")
        Duration idleWait();

        /** Most rows published in one database transaction. */
        @WithDefault("500")
        int batchSize();

        /** How long the relay waits for Kafka to acknowledge a batch before it retries it. */
        @WithDefault("30s")
        Duration sendTimeout();

        /** Longest pause between attempts while Kafka or PostgreSQL is unreachable. */
        @WithDefault("5s")
        Duration maxBackoff();
    }
}
