package dev.lifeboat.restore.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.stack.EtcdCluster;

/** What the benchmarks share: a fresh working folder and the few REST calls they make. */
final class BenchSupport {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static volatile String token;

    private BenchSupport() {
    }

    /** The admin token of the benchmark's stack, which every call carries. */
    static void useToken(String adminToken) {
        token = adminToken;
    }

    /** A request with the token. */
    static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token);
    }

    /** Registers a one-member cluster with the scheduler, the member named so that REPLACE can rebuild it. */
    static void registerCluster(String scheduler, String id, EtcdCluster.Member member) throws Exception {
        post(scheduler + "/api/v1/clusters", "{\"id\": \"" + id + "\", \"endpoints\": [\"" + member.clientUrl() + "\"], \"members\": [{\"name\": \""
                + member.name() + "\", \"peerUrl\": \"" + member.peerUrl() + "\", \"clientUrl\": \"" + member.clientUrl() + "\"}]}", 201);
    }

    static JsonNode post(String url, String json, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(request(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException("POST " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return EventCodec.json().readTree(response.body());
    }

    static JsonNode get(String url) throws Exception {
        return EventCodec.json().readTree(HTTP.send(request(url).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    static HttpClient http() {
        return HTTP;
    }
}
