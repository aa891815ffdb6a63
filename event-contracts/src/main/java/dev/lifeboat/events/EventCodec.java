package dev.lifeboat.events;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * CloudEvents 1.0 in Kafka binary mode: attributes in {@code ce_*} headers, the event record as the
 * JSON body. The only place that turns events into bytes and back.
 */
public final class EventCodec {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";
    public static final String H_SPEC_VERSION = "ce_specversion";
    public static final String H_ID = "ce_id";
    public static final String H_TYPE = "ce_type";
    public static final String H_SOURCE = "ce_source";
    public static final String H_SUBJECT = "ce_subject";
    public static final String H_TIME = "ce_time";
    public static final String H_CONTENT_TYPE = "content-type";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Newer producers may add fields; older consumers ignore them (contracts only grow within a version).
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private EventCodec() {
    }

    /** The mapper for event bodies, for code that stores or shows them. */
    public static ObjectMapper json() {
        return JSON;
    }

    public static byte[] encode(LifeboatEvent event) {
        try {
            return JSON.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + event.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Writes the CloudEvents attributes of an event into Kafka headers. */
    public static void writeHeaders(Headers headers, UUID id, EventType type, String source, String subject, Instant time) {
        headers.add(H_SPEC_VERSION, bytes(SPEC_VERSION));
        headers.add(H_ID, bytes(id.toString()));
        headers.add(H_TYPE, bytes(type.ceType()));
        headers.add(H_SOURCE, bytes(source));
        headers.add(H_SUBJECT, bytes(subject));
        headers.add(H_TIME, bytes(time.toString()));
        headers.add(H_CONTENT_TYPE, bytes(CONTENT_TYPE));
    }

    /** Decodes a record, or fails with a {@link MalformedEventException} that says what is wrong. */
    public static ReceivedEvent<LifeboatEvent> decode(ConsumerRecord<?, byte[]> record) {
        Headers headers = record.headers();
        String ceType = header(headers, H_TYPE);
        EventType type = EventType.ofCeType(ceType)
                .orElseThrow(() -> new MalformedEventException("unknown event type '" + ceType + "'"));
        String idText = header(headers, H_ID);
        UUID id;
        try {
            id = UUID.fromString(idText);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("header ce_id is not a UUID: '" + idText + "'");
        }
        Instant time;
        try {
            time = Instant.parse(header(headers, H_TIME));
        } catch (DateTimeParseException e) {
            throw new MalformedEventException("header ce_time is not an RFC 3339 time");
        }
        LifeboatEvent payload = decodeBody(type, record.value());
        String subject = header(headers, H_SUBJECT);
        if (!subject.equals(payload.clusterId())) {
            throw new MalformedEventException("ce_subject '" + subject + "' differs from the body's clusterId '"
                    + payload.clusterId() + "'");
        }
        return new ReceivedEvent<>(id, type, header(headers, H_SOURCE), subject, time, payload);
    }

    /** Decodes a JSON body of the given type, naming the broken field when it does not fit. */
    public static LifeboatEvent decodeBody(EventType type, byte[] body) {
        if (body == null || body.length == 0) {
            throw new MalformedEventException(type.ceType() + " has an empty body");
        }
        try {
            return JSON.readValue(body, type.contract());
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MalformedEventException(type.ceType() + ": " + cause.getMessage(), e);
        } catch (InvalidFormatException e) {
            throw new MalformedEventException(type.ceType() + ": field " + e.getPathReference().replaceAll(".*\\[\"?", "")
                    .replaceAll("\"?]$", "") + " has an invalid value '" + e.getValue() + "'", e);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException(type.ceType() + ": body is not valid JSON for the contract: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedEventException(type.ceType() + ": unreadable body: " + e.getMessage(), e);
        }
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        if (header == null || header.value() == null || header.value().length == 0) {
            throw new MalformedEventException("missing header " + name);
        }
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
