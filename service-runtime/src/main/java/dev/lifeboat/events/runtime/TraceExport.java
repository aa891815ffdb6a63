package dev.lifeboat.events.runtime;

import java.util.Collection;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.Unremovable;
import io.quarkus.arc.lookup.LookupIfProperty;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Where a service's spans go. Without an OTLP endpoint in its configuration Quarkus exports to its default,
 * {@code http://localhost:4317/}, and logs a failed export every few seconds where no collector runs (as in
 * {@code make run}). Lifeboat exports only to an endpoint someone named ({@code
 * quarkus.otel.exporter.otlp.traces.endpoint} or {@code quarkus.otel.exporter.otlp.endpoint}); while the
 * endpoint is Quarkus' default, {@link Dropped} takes the OTLP exporter's place (Quarkus creates that one only
 * when no {@link SpanExporter} bean is present) and the service says so once at start. Spans are still made:
 * log lines, events and the timeline carry their trace ids. A collector on this host's port 4317 is named
 * {@code http://127.0.0.1:4317}.
 */
@ApplicationScoped
public class TraceExport {

    /** Quarkus' default OTLP endpoint, in effect when none is configured. */
    static final String DEFAULT_ENDPOINT = "http://localhost:4317/";
    private static final String ENDPOINT = "quarkus.otel.exporter.otlp.traces.endpoint";

    private final String endpoint;

    public TraceExport(@ConfigProperty(name = ENDPOINT, defaultValue = DEFAULT_ENDPOINT) String endpoint) {
        this.endpoint = endpoint;
    }

    void onStart(@Observes StartupEvent event) {
        if (DEFAULT_ENDPOINT.equals(endpoint)) {
            Log.info("traces are not exported: no OTLP endpoint is configured (set QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT "
                    + "to send them to a collector); log lines and the timeline still carry trace ids");
        } else {
            Log.infof("traces are exported to %s", endpoint);
        }
    }

    /** Drops every span: the exporter in place while no OTLP endpoint is configured. */
    @Singleton
    @Unremovable
    @LookupIfProperty(name = ENDPOINT, stringValue = DEFAULT_ENDPOINT)
    public static class Dropped implements SpanExporter {

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
