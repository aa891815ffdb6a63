package dev.lifeboat.agent.member;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.events.SecretReference;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Fetches a snapshot as a plain etcd db file from snapshot-service ({@code GET
 * /api/v1/snapshots/{id}/content}: decrypted and decompressed there, where the keys are), with the agent's
 * token ({@code lifeboat.agent.snapshot-service-token}). The file
 * keeps etcd's hash trailer, which etcd's restore tool checks, so a corrupt download is never restored. Also asks the
 * catalog for the cluster's newest completed full snapshot (self-healing).
 */
@ApplicationScoped
public class SnapshotDownload {

    private final AgentConfig config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SnapshotDownload(AgentConfig config) {
        this.config = config;
    }

    /** Copies the body to the file; a failed write (a full disk) is named as such, not as a failed fetch. */
    private static long copy(InputStream body, Path file, String snapshotId, dev.lifeboat.etcdsnapshot.HashTrailer trailer) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long written = 0;
        java.io.OutputStream out;
        try {
            out = Files.newOutputStream(file);
        } catch (IOException e) {
            throw new MemberRestoreException("cannot write snapshot " + snapshotId + " to " + file + ": " + e.getMessage());
        }
        try (out) {
            for (int read = body.read(buffer); read >= 0; read = body.read(buffer)) {
                try {
                    out.write(buffer, 0, read);
                    if (trailer != null) {
                        trailer.update(buffer, 0, read);
                    }
                } catch (IOException e) {
                    throw new MemberRestoreException("cannot write snapshot " + snapshotId + " to " + file + " after " + written + " bytes: "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                }
                written += read;
            }
        }
        return written;
    }

    /** Writes snapshot {@code snapshotId} to {@code file}; fails with a reason that names the snapshot and the answer. */
    public long fetch(String snapshotId, Path file) {
        return fetch(snapshotId, file, null);
    }

    /** As {@link #fetch(String, Path)}, and feeds the bytes to {@code trailer} on the way (a drill's SHA-256 check). */
    public long fetch(String snapshotId, Path file, dev.lifeboat.etcdsnapshot.HashTrailer trailer) {
        URI uri = URI.create(config.snapshotServiceUrl() + "/api/v1/snapshots/" + snapshotId + "/content");
        try {
            HttpResponse<InputStream> response = http.send(request(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    String text = new String(body.readNBytes(2000), StandardCharsets.UTF_8).strip();
                    throw new MemberRestoreException("snapshot-service answered " + response.statusCode() + " for the content of snapshot " + snapshotId
                            + (text.isEmpty() ? "" : ": " + errorOf(text)));
                }
                return copy(body, file, snapshotId, trailer);
            }
        } catch (IOException e) {
            throw new MemberRestoreException("cannot fetch snapshot " + snapshotId + " from snapshot-service at " + config.snapshotServiceUrl() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MemberRestoreException("interrupted while fetching snapshot " + snapshotId);
        }
    }

    /** A completed full snapshot in the catalog. */
    public record Newest(String id, long revision, String completedAt, String etcdClusterId) {
    }

    /**
     * The cluster's newest COMPLETED FULL snapshot in snapshot-service's catalog, or empty when it has none; fails with
     * a reason when the catalog cannot be asked.
     */
    public java.util.Optional<Newest> newestFull(String clusterId) {
        URI uri = URI.create(config.snapshotServiceUrl() + "/api/v1/snapshots?cluster=" + clusterId + "&phase=COMPLETED&kind=FULL&limit=1");
        try {
            HttpResponse<String> response = http.send(request(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                String text = response.body() == null ? "" : response.body().strip();
                throw new MemberRestoreException("snapshot-service answered " + response.statusCode() + " for the snapshots of cluster " + clusterId
                        + (text.isEmpty() ? "" : ": " + text.substring(0, Math.min(text.length(), 2000))));
            }
            com.fasterxml.jackson.databind.JsonNode list = dev.lifeboat.events.EventCodec.json().readTree(response.body());
            if (!list.isArray() || list.isEmpty()) {
                return java.util.Optional.empty();
            }
            com.fasterxml.jackson.databind.JsonNode first = list.get(0);
            return java.util.Optional.of(new Newest(first.path("id").asText(), first.path("revision").asLong(), first.path("completedAt").asText(),
                    first.path("etcdClusterId").isTextual() ? first.path("etcdClusterId").asText() : null));
        } catch (IOException e) {
            throw new MemberRestoreException("cannot ask snapshot-service at " + config.snapshotServiceUrl() + " for the snapshots of cluster "
                    + clusterId + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MemberRestoreException("interrupted while asking for the snapshots of cluster " + clusterId);
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        config.snapshotServiceToken().ifPresent(token -> request.header("Authorization", "Bearer "
                + SecretReference.resolve(token, "lifeboat.agent.snapshot-service-token")));
        return request;
    }

    /** The {@code error} of an API error body ({"status":…,"error":…}), or the text as it came. */
    private static String errorOf(String text) {
        try {
            String error = dev.lifeboat.events.EventCodec.json().readTree(text).path("error").asText("");
            return error.isEmpty() ? text : error;
        } catch (IOException e) {
            return text;
        }
    }
}
