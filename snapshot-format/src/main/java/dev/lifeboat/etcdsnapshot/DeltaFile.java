package dev.lifeboat.etcdsnapshot;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * Lifeboat's delta format, version 1: the changes of an etcd keyspace over a range of revisions, as
 * JSON Lines (UTF-8, one object per line), so that {@code zstd -d | jq} reads it and any language can
 * replay it:
 *
 * <pre>
 * {"format":"lifeboat-delta","version":1,"cluster":"prod","chain":"c0ffee…","after":4711}
 * {"rev":4712,"op":"put","key":"L3JlZy9h","value":"djE=","create":4712,"ver":1,"lease":0,"time":"2026-12-01T10:00:00.123456Z"}
 * {"rev":4712,"op":"put","key":"L3JlZy9i","value":"djI=","create":4700,"ver":3,"lease":7587,"ttl":60,"time":"…"}
 * {"rev":4713,"op":"delete","key":"L3JlZy9h","prev":"djE=","time":"…"}
 * {"end":true,"first":4712,"last":4713,"events":3,"revisions":2}
 * </pre>
 *
 * <ul>
 * <li>The header names the cluster, the capture chain, and {@code after}: the revision the delta
 * continues; its first change is at {@code after + 1}.</li>
 * <li>Changes come in revision order; one etcd transaction (one revision) may change several keys.
 * Keys and values are base64 (as {@code etcdctl -w json} prints them). {@code lease}/{@code ttl} are the
 * lease id and its granted TTL in seconds (0: unknown); {@code time} is when the capture received it.</li>
 * <li>Every revision from {@code after + 1} to {@code last} has at least one change: etcd counts a
 * revision only for a transaction that changed something, and the capture watches the whole keyspace.
 * A reader refuses a delta with a hole.</li>
 * <li>The trailer repeats the range and counts, so a truncated file is refused, never half applied.</li>
 * </ul>
 */
public final class DeltaFile {

    public static final String FORMAT = "lifeboat-delta";
    public static final int VERSION = 1;

    private DeltaFile() {
    }

    /** The header of a delta. */
    public record Header(String clusterId, String chainId, long afterRevision) {
    }

    /**
     * What a delta holds.
     *
     * @param firstRevision the first revision changed; {@code after + 1}
     * @param revisions     revisions changed: {@code last - first + 1}
     */
    public record Summary(long firstRevision, long lastRevision, long events, long revisions) {
    }

    /** Writes a delta: the header at once, then changes in revision order, then the trailer on {@link #finish()}. */
    public static final class Writer {

        private final OutputStream out;
        private final Header header;
        private final Base64.Encoder base64 = Base64.getEncoder();
        private final StringBuilder line = new StringBuilder(512);
        private long first;
        private long last;
        private long events;
        private long revisions;
        private long bytes;

        public Writer(OutputStream out, Header header) throws IOException {
            this.out = out;
            this.header = header;
            this.last = header.afterRevision();
            line.setLength(0);
            line.append("{\"format\":\"").append(FORMAT).append("\",\"version\":").append(VERSION).append(",\"cluster\":");
            quote(line, header.clusterId());
            line.append(",\"chain\":");
            quote(line, header.chainId());
            line.append(",\"after\":").append(header.afterRevision()).append('}');
            emit();
        }

        /** Appends a change; refuses one out of order or past a hole. */
        public void write(DeltaEvent event) throws IOException {
            if (event.revision() != last && event.revision() != last + 1) {
                throw new IllegalArgumentException("delta of chain " + header.chainId() + ": change at revision " + event.revision()
                        + " after revision " + last + " would leave a hole or go back");
            }
            if (events == 0 && event.revision() != header.afterRevision() + 1) {
                throw new IllegalArgumentException("delta after revision " + header.afterRevision() + " must start at revision "
                        + (header.afterRevision() + 1) + ", not " + event.revision());
            }
            if (events == 0) {
                first = event.revision();
            }
            if (event.revision() != last || events == 0) {
                revisions++;
            }
            last = event.revision();
            events++;
            line.setLength(0);
            line.append("{\"rev\":").append(event.revision()).append(",\"op\":\"").append(event.op() == DeltaEvent.Op.PUT ? "put" : "delete")
                    .append("\",\"key\":\"").append(base64.encodeToString(event.key())).append('"');
            if (event.op() == DeltaEvent.Op.PUT) {
                line.append(",\"value\":\"").append(base64.encodeToString(event.value())).append("\",\"create\":").append(event.createRevision())
                        .append(",\"ver\":").append(event.version()).append(",\"lease\":").append(event.lease());
                if (event.leaseTtl() > 0) {
                    line.append(",\"ttl\":").append(event.leaseTtl());
                }
            } else if (event.prevValue() != null) {
                line.append(",\"prev\":\"").append(base64.encodeToString(event.prevValue())).append('"');
            }
            line.append(",\"time\":\"").append(event.time()).append("\"}");
            emit();
        }

        /** The revision of the last change written, or {@code after} when none was. */
        public long lastRevision() {
            return last;
        }

        public long events() {
            return events;
        }

        /** Bytes written so far (plain, before compression). */
        public long bytes() {
            return bytes;
        }

        /** Writes the trailer; the caller closes the stream. */
        public Summary finish() throws IOException {
            if (events == 0) {
                throw new IllegalStateException("a delta without changes is not written");
            }
            line.setLength(0);
            line.append("{\"end\":true,\"first\":").append(first).append(",\"last\":").append(last).append(",\"events\":").append(events)
                    .append(",\"revisions\":").append(revisions).append('}');
            emit();
            out.flush();
            return new Summary(first, last, events, revisions);
        }

        private void emit() throws IOException {
            line.append('\n');
            byte[] encoded = line.toString().getBytes(StandardCharsets.UTF_8);
            out.write(encoded);
            bytes += encoded.length;
        }
    }

    /**
     * Reads a delta and checks it as it goes: the header, revision order without holes, and a trailer
     * that matches what came before. Any problem is a {@link SnapshotFormatException} naming it.
     */
    public static final class Reader implements Closeable {

        private final InputStream in;
        private final Header header;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
        private final Base64.Decoder base64 = Base64.getDecoder();
        private long offset;
        private long lineStart;
        private long last;
        private long first;
        private long events;
        private long revisions;
        private Summary summary;

        public Reader(InputStream in) {
            this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
            Map<String, Object> fields = nextObject("the header");
            if (!FORMAT.equals(fields.get("format"))) {
                throw new SnapshotFormatException(Problem.BAD_DELTA, "not a Lifeboat delta: its first line names no format '" + FORMAT + "'");
            }
            if (!Long.valueOf(VERSION).equals(fields.get("version"))) {
                throw new SnapshotFormatException(Problem.UNREADABLE, "Lifeboat delta version " + fields.get("version")
                        + " is not readable here (version " + VERSION + " is)");
            }
            header = new Header(text(fields, "cluster"), text(fields, "chain"), number(fields, "after"));
            last = header.afterRevision();
        }

        public static Reader open(Path file) throws IOException {
            return new Reader(Files.newInputStream(file));
        }

        public Header header() {
            return header;
        }

        /** Byte offset of the line the next {@link #next()} reads: for {@link DeltaFile#eventAt}. */
        public long offset() {
            return offset;
        }

        /** Byte offset where the change last returned by {@link #next()} starts. */
        public long lastEventOffset() {
            return lineStart;
        }

        /** The next change, or null after the trailer (which has then been checked). */
        public DeltaEvent next() {
            if (summary != null) {
                return null;
            }
            Map<String, Object> fields = nextObject("a change or the trailer");
            if (Boolean.TRUE.equals(fields.get("end"))) {
                Summary stated = new Summary(number(fields, "first"), number(fields, "last"), number(fields, "events"), number(fields, "revisions"));
                Summary seen = new Summary(first, last, events, revisions);
                if (!stated.equals(seen) || events == 0) {
                    throw new SnapshotFormatException(Problem.BAD_DELTA, "delta of chain " + header.chainId() + ": its trailer states "
                            + stated + " but the file holds " + seen);
                }
                summary = seen;
                return null;
            }
            DeltaEvent event = event(fields, base64);
            if (event.revision() != last && event.revision() != last + 1 || events == 0 && event.revision() != header.afterRevision() + 1) {
                throw new SnapshotFormatException(Problem.BAD_DELTA, "delta of chain " + header.chainId() + ": change at revision "
                        + event.revision() + " follows revision " + last + " (a hole, or out of order)");
            }
            if (events == 0) {
                first = event.revision();
            }
            if (events == 0 || event.revision() != last) {
                revisions++;
            }
            last = event.revision();
            events++;
            return event;
        }

        /** Reads to the end; returns the checked summary. */
        public Summary readAll(java.util.function.Consumer<DeltaEvent> each) {
            DeltaEvent event;
            while ((event = next()) != null) {
                each.accept(event);
            }
            return summary;
        }

        /** After the trailer was read: what the delta holds. */
        public Summary summary() {
            if (summary == null) {
                throw new IllegalStateException("the delta was not read to its end");
            }
            return summary;
        }

        private Map<String, Object> nextObject(String what) {
            lineStart = offset;
            line.reset();
            try {
                int b;
                while ((b = in.read()) >= 0) {
                    offset++;
                    if (b == '\n') {
                        break;
                    }
                    line.write(b);
                }
                if (b < 0 && line.size() == 0) {
                    throw new SnapshotFormatException(Problem.TRUNCATED, "delta of chain " + (header == null ? "?" : header.chainId())
                            + " ends before " + what + " (truncated at byte " + offset + ")");
                }
            } catch (IOException e) {
                throw new SnapshotFormatException(Problem.UNREADABLE, "cannot read the delta: " + e.getMessage(), e);
            }
            return Json.object(line.toString(StandardCharsets.UTF_8), lineStart);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Reads the change that starts at {@code offset} of a plain delta file (see {@link Reader#lastEventOffset()}). */
    public static DeltaEvent eventAt(RandomAccessFile file, long offset) throws IOException {
        file.seek(offset);
        ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
        byte[] buffer = new byte[4096];
        outer:
        while (true) {
            int n = file.read(buffer);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    line.write(buffer, 0, i);
                    break outer;
                }
            }
            line.write(buffer, 0, n);
        }
        return event(Json.object(line.toString(StandardCharsets.UTF_8), offset), Base64.getDecoder());
    }

    /** Reads and checks a whole plain delta file. */
    public static Summary verify(Path file) throws IOException {
        try (Reader reader = Reader.open(file)) {
            return reader.readAll(event -> {
            });
        }
    }

    private static DeltaEvent event(Map<String, Object> fields, Base64.Decoder base64) {
        long revision = number(fields, "rev");
        byte[] key = bytes(fields, "key", base64);
        Instant time;
        try {
            time = Instant.parse(text(fields, "time"));
        } catch (DateTimeParseException e) {
            throw new SnapshotFormatException(Problem.BAD_DELTA, "delta: change at revision " + revision + " has an unreadable time");
        }
        String op = text(fields, "op");
        return switch (op) {
            case "put" -> DeltaEvent.put(revision, key, bytes(fields, "value", base64), number(fields, "create"), number(fields, "ver"),
                    number(fields, "lease"), fields.containsKey("ttl") ? number(fields, "ttl") : 0, time);
            case "delete" -> DeltaEvent.delete(revision, key, fields.containsKey("prev") ? bytes(fields, "prev", base64) : null, time);
            default -> throw new SnapshotFormatException(Problem.BAD_DELTA, "delta: change at revision " + revision + " has op '" + op + "'");
        };
    }

    private static String text(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof String value)) {
            throw new SnapshotFormatException(Problem.BAD_DELTA, "delta: a line lacks the text field '" + name + "'");
        }
        return value;
    }

    private static long number(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof Long value)) {
            throw new SnapshotFormatException(Problem.BAD_DELTA, "delta: a line lacks the number field '" + name + "'");
        }
        return value;
    }

    private static byte[] bytes(Map<String, Object> fields, String name, Base64.Decoder base64) {
        try {
            return base64.decode(text(fields, name));
        } catch (IllegalArgumentException e) {
            throw new SnapshotFormatException(Problem.BAD_DELTA, "delta: field '" + name + "' is not base64");
        }
    }

    /** Appends {@code text} as a JSON string. */
    static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Just enough JSON for the format's flat objects: string, integer, boolean and null values. */
    private static final class Json {

        private final String text;
        private final long lineOffset;
        private int at;

        private Json(String text, long lineOffset) {
            this.text = text;
            this.lineOffset = lineOffset;
        }

        static Map<String, Object> object(String text, long lineOffset) {
            Json json = new Json(text, lineOffset);
            Map<String, Object> fields = json.readObject();
            json.skipSpace();
            if (json.at != text.length()) {
                throw json.problem("text after the object");
            }
            return fields;
        }

        private Map<String, Object> readObject() {
            skipSpace();
            expect('{');
            Map<String, Object> fields = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                at++;
                return fields;
            }
            while (true) {
                skipSpace();
                String name = readString();
                skipSpace();
                expect(':');
                skipSpace();
                fields.put(name, readValue());
                skipSpace();
                char c = next();
                if (c == '}') {
                    return fields;
                }
                if (c != ',') {
                    throw problem("',' or '}' expected");
                }
            }
        }

        private Object readValue() {
            char c = peek();
            if (c == '"') {
                return readString();
            }
            if (c == '-' || c >= '0' && c <= '9') {
                int start = at;
                if (c == '-') {
                    at++;
                }
                while (at < text.length() && Character.isDigit(text.charAt(at))) {
                    at++;
                }
                try {
                    return Long.parseLong(text, start, at, 10);
                } catch (NumberFormatException e) {
                    throw problem("not an integer");
                }
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            throw problem("a value expected");
        }

        private String readString() {
            expect('"');
            StringBuilder out = null;
            int start = at;
            while (true) {
                if (at >= text.length()) {
                    throw problem("unterminated string");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return out == null ? text.substring(start, at - 1) : out.toString();
                }
                if (c == '\\') {
                    if (out == null) {
                        out = new StringBuilder(text.substring(start, at - 1));
                    }
                    char escaped = next();
                    switch (escaped) {
                        case '"', '\\', '/' -> out.append(escaped);
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case 'r' -> out.append('\r');
                        case 'b' -> out.append('\b');
                        case 'f' -> out.append('\f');
                        case 'u' -> {
                            if (at + 4 > text.length()) {
                                throw problem("bad \\u escape");
                            }
                            out.append((char) Integer.parseInt(text, at, at + 4, 16));
                            at += 4;
                        }
                        default -> throw problem("bad escape");
                    }
                } else if (out != null) {
                    out.append(c);
                }
            }
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw problem("unexpected end of line");
            }
            return text.charAt(at);
        }

        private char next() {
            char c = peek();
            at++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw problem("'" + c + "' expected");
            }
        }

        private SnapshotFormatException problem(String what) {
            return new SnapshotFormatException(Problem.BAD_DELTA, "delta: the line at byte " + lineOffset + " is not valid: " + what
                    + " at column " + at);
        }
    }
}
