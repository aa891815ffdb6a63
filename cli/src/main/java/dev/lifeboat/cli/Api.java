package dev.lifeboat.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * One Lifeboat service's REST API over {@code java.net.http}, every call with the bearer token. Answers are
 * JSON trees; a refusal (4xx) becomes a {@link CliException} with the service's own message and field (401 and
 * 403 with how to get a token that may), an unreachable service or a 5xx one that names the service and its URL.
 */
public final class Api {

    static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String service;
    private final String baseUrl;
    private final Supplier<String> token;

    public Api(String service, String baseUrl, Supplier<String> token) {
        this.service = service;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    public JsonNode get(String path) {
        return send(request(path).GET());
    }

    public JsonNode get(String path, Map<String, Object> query) {
        return get(path + query(query));
    }

    public JsonNode post(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").POST(body(body)));
    }

    public JsonNode put(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").PUT(body(body)));
    }

    public JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    /** Streams a binary answer into a file (written to a temporary name, renamed when complete); returns its bytes. */
    public long download(String path, Path file) {
        Path part = file.resolveSibling(file.getFileName() + ".part");
        try {
            HttpResponse<InputStream> response = HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() >= 300) {
                    throw failure(response.statusCode(), new String(body.readNBytes(4000), StandardCharsets.UTF_8));
                }
                long bytes = Files.copy(body, part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
                return bytes;
            }
        } catch (IOException e) {
            deleteQuietly(part);
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
    }

    private JsonNode send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw failure(response.statusCode(), response.body());
            }
            return response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
    }

    private CliException failure(int status, String body) {
        String message = body == null ? "" : body.strip();
        String field = null;
        try {
            JsonNode error = JSON.readTree(message);
            if (error != null && error.hasNonNull("error")) {
                message = error.path("error").asText();
                field = error.hasNonNull("field") ? error.path("field").asText() : null;
            } else if (error != null && error.hasNonNull("details")) {
                message = error.path("details").asText();
            }
        } catch (IOException notJson) {
            // the body as it is
        }
        if (status >= 500) {
            return new CliException(CliException.UNREACHABLE, service + " answered " + status + (message.isEmpty() ? "" : ": " + message));
        }
        if (status == 401) {
            return new CliException(CliException.DENIED, service + " needs a valid token (401): give one with --token, LIFEBOAT_TOKEN or "
                    + "--token-file (make run writes .lifeboat/auth/admin.token; './lifeboat token create' mints narrower ones)");
        }
        if (status == 403) {
            return new CliException(CliException.DENIED, service + " refused (403): " + (message.isEmpty() ? "the token does not allow this" : message));
        }
        return new CliException(CliException.REFUSED, service + " refused (" + status + (field == null ? "" : ", field " + field) + "): "
                + (message.isEmpty() ? "no reason given" : message));
    }

    private CliException unreachable(IOException e) {
        String why = e instanceof ConnectException || e instanceof HttpConnectTimeoutException ? "nothing answers there"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new CliException(CliException.UNREACHABLE, "cannot reach " + service + " at " + baseUrl + ": " + why
                + " (is it running? the URL is set with --" + service.replace("-service", "") + "-url or LIFEBOAT_"
                + service.replace("-service", "").toUpperCase(java.util.Locale.ROOT) + "_URL)");
    }

    /** A request to the service with the token, when there is one. */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path));
        String bearer = token.get();
        return bearer == null ? request : request.header("Authorization", "Bearer " + bearer);
    }

    private static HttpRequest.BodyPublisher body(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofString(body == null ? "{}" : JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new CliException(CliException.FAILED, "cannot write the request: " + e.getMessage());
        }
    }

    /** {@code ?a=1&b=x} of the non-null entries. */
    static String query(Map<String, Object> query) {
        StringJoiner joined = new StringJoiner("&", "?", "");
        joined.setEmptyValue("");
        new LinkedHashMap<>(query).forEach((key, value) -> {
            if (value != null) {
                joined.add(key + "=" + URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8));
            }
        });
        return joined.toString();
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover .part file says what it is
        }
    }
}
