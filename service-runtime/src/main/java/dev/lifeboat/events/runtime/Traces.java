package dev.lifeboat.events.runtime;

import java.util.HashMap;
import java.util.Map;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * Trace context as W3C {@code traceparent} text, for work that outlives the request or event that asked
 * for it (a snapshot row claimed later by a worker, a restore continued after a crash, a retention run
 * some seconds after the SnapshotCompleted that asked for it): stored with the work, and made the parent
 * of its span when it runs, so that one backup or one restore is one trace across services.
 */
public final class Traces {

    private static final TextMapGetter<Map<String, String>> MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private Traces() {
    }

    /** The {@code traceparent} of the current context, or null when no span is current. */
    public static String current() {
        return inject(Context.current()).get("traceparent");
    }

    /** The W3C headers ({@code traceparent}, {@code tracestate}) of a context. */
    public static Map<String, String> inject(Context context) {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(context, carrier, Map::put);
        return carrier;
    }

    /** The context a stored {@code traceparent} names, or the root context when there is none. */
    public static Context parent(String traceparent) {
        if (traceparent == null || traceparent.isBlank()) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), Map.of("traceparent", traceparent), MAP);
    }
}
