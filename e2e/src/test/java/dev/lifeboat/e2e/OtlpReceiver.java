package dev.lifeboat.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpServer;

/**
 * The services' traces, in memory: an OTLP/HTTP receiver ({@code POST /v1/traces}, protobuf) that keeps every
 * span it is sent — trace id, span id, parent, name, the service that sent it, its attributes and its links.
 */
final class OtlpReceiver implements AutoCloseable {

    /** One span as exported. */
    record ReceivedSpan(String traceId, String spanId, String parentId, String name, String service, Map<String, String> attributes,
            List<Link> links) {

        boolean root() {
            return parentId.isEmpty();
        }

        /** The link of this span into another trace, or null. */
        Link linkInto(String trace) {
            return links.stream().filter(link -> link.traceId().equals(trace)).findFirst().orElse(null);
        }
    }

    /** A span link: the span of another trace this one relates to. */
    record Link(String traceId, String spanId) {
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new ArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", dev.lifeboat.stack.Ports.free()), 0);
        server.createContext("/", exchange -> {
            try (InputStream body = "gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                List<ReceivedSpan> received = parse(body.readAllBytes());
                synchronized (spans) {
                    spans.addAll(received);
                }
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, 0);
            } catch (IOException | RuntimeException e) {
                exchange.sendResponseHeaders(400, 0);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** Where services send traces: {@code quarkus.otel.exporter.otlp.traces.endpoint}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    List<ReceivedSpan> spans() {
        synchronized (spans) {
            return List.copyOf(spans);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** ExportTraceServiceRequest → spans, reading only the fields used here (the wire format skips the rest). */
    static List<ReceivedSpan> parse(byte[] request) throws IOException {
        List<ReceivedSpan> found = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(request);
        for (int tag; (tag = in.readTag()) != 0;) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                resourceSpans(in.readBytes().toByteArray(), found);
            } else {
                in.skipField(tag);
            }
        }
        return found;
    }

    private static void resourceSpans(byte[] bytes, List<ReceivedSpan> found) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String service = "";
        List<byte[]> scopes = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0;) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> service = attributes(in.readBytes().toByteArray(), 1).getOrDefault("service.name", "");
                case 2 -> scopes.add(in.readBytes().toByteArray());
                default -> in.skipField(tag);
            }
        }
        for (byte[] scope : scopes) {
            CodedInputStream scopeIn = CodedInputStream.newInstance(scope);
            for (int tag; (tag = scopeIn.readTag()) != 0;) {
                if (WireFormat.getTagFieldNumber(tag) == 2) {
                    found.add(span(scopeIn.readBytes().toByteArray(), service));
                } else {
                    scopeIn.skipField(tag);
                }
            }
        }
    }

    private static ReceivedSpan span(byte[] bytes, String service) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String traceId = "";
        String spanId = "";
        String parentId = "";
        String name = "";
        Map<String, String> attributes = new LinkedHashMap<>();
        List<Link> links = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0;) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> traceId = HexFormat.of().formatHex(in.readBytes().toByteArray());
                case 2 -> spanId = HexFormat.of().formatHex(in.readBytes().toByteArray());
                case 4 -> parentId = HexFormat.of().formatHex(in.readBytes().toByteArray());
                case 5 -> name = in.readString();
                case 9 -> attributes.putAll(keyValue(in.readBytes().toByteArray()));
                case 13 -> links.add(link(in.readBytes().toByteArray()));
                default -> in.skipField(tag);
            }
        }
        return new ReceivedSpan(traceId, spanId, parentId, name, service, attributes, List.copyOf(links));
    }

    private static Link link(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String traceId = "";
        String spanId = "";
        for (int tag; (tag = in.readTag()) != 0;) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> traceId = HexFormat.of().formatHex(in.readBytes().toByteArray());
                case 2 -> spanId = HexFormat.of().formatHex(in.readBytes().toByteArray());
                default -> in.skipField(tag);
            }
        }
        return new Link(traceId, spanId);
    }

    /** The KeyValue attributes in field {@code field} of a message. */
    private static Map<String, String> attributes(byte[] bytes, int field) throws IOException {
        Map<String, String> attributes = new LinkedHashMap<>();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        for (int tag; (tag = in.readTag()) != 0;) {
            if (WireFormat.getTagFieldNumber(tag) == field) {
                attributes.putAll(keyValue(in.readBytes().toByteArray()));
            } else {
                in.skipField(tag);
            }
        }
        return attributes;
    }

    private static Map<String, String> keyValue(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String key = "";
        String value = "";
        for (int tag; (tag = in.readTag()) != 0;) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> key = in.readString();
                case 2 -> value = anyValue(in.readBytes().toByteArray());
                default -> in.skipField(tag);
            }
        }
        return Map.of(key, value);
    }

    private static String anyValue(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        for (int tag; (tag = in.readTag()) != 0;) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    return in.readString();
                }
                case 2 -> {
                    return Boolean.toString(in.readBool());
                }
                case 3 -> {
                    return Long.toString(in.readInt64());
                }
                case 4 -> {
                    return Double.toString(in.readDouble());
                }
                default -> in.skipField(tag);
            }
        }
        return "";
    }
}
