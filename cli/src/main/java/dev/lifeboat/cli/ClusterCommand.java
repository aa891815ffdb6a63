package dev.lifeboat.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lifeboat cluster add|list|show|resume|remove}: clusters registered with the scheduler. */
@Command(name = "cluster", description = "Register, list, show, resume and remove clusters.", mixinStandardHelpOptions = true)
final class ClusterCommand extends Base {

    @Command(name = "add", description = "Register a cluster (credentials as references: file:/path or env:NAME, never values).")
    int add(@Mixin Format format, @Parameters(paramLabel = "ID", description = "the cluster id, a DNS label") String id,
            @Option(names = "--endpoint", description = "an etcd client URL; repeat for every member", split = ",") List<String> endpoints,
            @Option(names = "--member", paramLabel = "NAME=PEER_URL=CLIENT_URL", description = "a member for REPLACE restores (an etcd-agent runs it); repeat")
            List<String> members,
            @Option(names = "--display-name") String displayName,
            @Option(names = "--ca-ref", description = "reference to the CA certificate (PEM)") String caRef,
            @Option(names = "--cert-ref", description = "reference to the client certificate") String certRef,
            @Option(names = "--key-ref", description = "reference to the client key") String keyRef,
            @Option(names = "--user-ref", description = "reference to the etcd user") String userRef,
            @Option(names = "--password-ref", description = "reference to the etcd password") String passwordRef,
            @Option(names = "--bucket", description = "bucket of its snapshots (default: the service's)") String bucket,
            @Option(names = "--prefix", description = "key prefix of its snapshots (default lifeboat)") String prefix,
            @Option(names = "--prefer-follower", description = "take snapshots from a healthy follower") boolean preferFollower,
            @Option(names = {"-f", "--file"}, description = "the whole cluster as JSON (the scheduler's POST body) instead of the options") Path file) {
        JsonNode body = file != null ? read(file) : Api.JSON.valueToTree(spec(id, endpoints, members, displayName, caRef, certRef, keyRef, userRef,
                passwordRef, bucket, prefix, preferFollower));
        JsonNode created = root().scheduler().post("/api/v1/clusters", body);
        Output output = output(format);
        if (output.json()) {
            output.print(created);
        } else {
            output.say("cluster " + created.path("id").asText() + " registered: " + String.join(", ", texts(created.path("endpoints"))));
        }
        return CliException.OK;
    }

    @Command(name = "list", description = "Every registered cluster with its pause state.")
    int list(@Mixin Format format) {
        JsonNode clusters = root().scheduler().get("/api/v1/clusters");
        Output output = output(format);
        if (output.json()) {
            output.print(clusters);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("ID", "ENDPOINTS", "MEMBERS", "PAUSED", "CREATED");
        for (JsonNode cluster : clusters) {
            table.row(cluster.path("id").asText(), String.join(",", texts(cluster.path("endpoints"))), cluster.path("members").size(),
                    cluster.path("paused").asBoolean() ? "yes (" + Output.text(cluster, "pausedBy") + ")" : "no", Output.text(cluster, "createdAt"));
        }
        table.print(out());
        return CliException.OK;
    }

    @Command(name = "show", description = "One cluster.")
    int show(@Mixin Format format, @Parameters(paramLabel = "ID") String id) {
        JsonNode cluster = root().scheduler().get("/api/v1/clusters/" + id);
        Output output = output(format);
        if (output.json()) {
            output.print(cluster);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("FIELD", "VALUE");
        table.row("id", cluster.path("id").asText()).row("endpoints", String.join(", ", texts(cluster.path("endpoints"))))
                .row("members", String.join(", ", texts(cluster.path("members")))).row("tls", cluster.path("tls").asBoolean())
                .row("auth", cluster.path("auth").asBoolean()).row("preferFollower", cluster.path("preferFollower").asBoolean())
                .row("paused", cluster.path("paused").asBoolean() ? "yes, by " + Output.text(cluster, "pausedBy") : "no")
                .row("created", Output.text(cluster, "createdAt")).row("updated", Output.text(cluster, "updatedAt"));
        table.print(out());
        return CliException.OK;
    }

    @Command(name = "resume", description = "Resume a cluster a failed restore left paused (refused while a restore of it runs); "
            + "recorded in the timeline with --reason.")
    int resume(@Mixin Format format, @Parameters(paramLabel = "ID") String id,
            @Option(names = "--reason", description = "why, for the timeline (e.g. 'members checked by hand')") String reason) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("reason", reason);
        JsonNode cluster = root().scheduler().post("/api/v1/clusters/" + id + "/resume", body);
        Output output = output(format);
        if (output.json()) {
            output.print(cluster);
        } else {
            output.say("cluster " + id + " resumes its backups");
        }
        return CliException.OK;
    }

    @Command(name = "remove", description = "Remove a cluster; its snapshots stay unless --purge-snapshots.")
    int remove(@Mixin Format format, @Parameters(paramLabel = "ID") String id, @Option(names = "--purge-snapshots") boolean purge) {
        root().scheduler().delete("/api/v1/clusters/" + id + (purge ? "?purgeSnapshots=true" : ""));
        output(format).say("cluster " + id + " removed" + (purge ? "; its snapshots will be purged" : "; its snapshots stay"));
        return CliException.OK;
    }

    private static Map<String, Object> spec(String id, List<String> endpoints, List<String> members, String displayName, String caRef, String certRef,
            String keyRef, String userRef, String passwordRef, String bucket, String prefix, boolean preferFollower) {
        if (endpoints == null || endpoints.isEmpty()) {
            throw new CliException(CliException.REFUSED, "cluster add needs at least one --endpoint (or --file)");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("displayName", displayName);
        body.put("endpoints", endpoints);
        if (caRef != null || certRef != null || keyRef != null) {
            Map<String, String> tls = new LinkedHashMap<>();
            tls.put("caRef", caRef);
            tls.put("certRef", certRef);
            tls.put("keyRef", keyRef);
            body.put("tls", tls);
        }
        if (userRef != null || passwordRef != null) {
            Map<String, String> auth = new LinkedHashMap<>();
            auth.put("userRef", userRef);
            auth.put("passwordRef", passwordRef);
            body.put("auth", auth);
        }
        if (bucket != null || prefix != null) {
            Map<String, String> destination = new LinkedHashMap<>();
            destination.put("bucket", bucket);
            destination.put("prefix", prefix);
            body.put("destination", destination);
        }
        if (members != null) {
            List<Map<String, String>> list = new ArrayList<>();
            for (String member : members) {
                String[] parts = member.split("=", 3);
                if (parts.length != 3) {
                    throw new CliException(CliException.REFUSED, "--member must be NAME=PEER_URL=CLIENT_URL, not '" + member + "'");
                }
                list.add(Map.of("name", parts[0], "peerUrl", parts[1], "clientUrl", parts[2]));
            }
            body.put("members", list);
        }
        body.put("preferFollower", preferFollower);
        return body;
    }

    private static JsonNode read(Path file) {
        try {
            return Api.JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new CliException(CliException.REFUSED, "cannot read " + file + " as JSON: " + e.getMessage());
        }
    }

    static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
