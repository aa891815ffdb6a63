package dev.lifeboat.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import dev.lifeboat.tokens.PemTls;

/** Waits for a server's health endpoint to answer 200 with an expected fragment in its body. */
public final class HttpProbe {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private HttpProbe() {
    }

    /**
     * Polls {@code url} until it answers 200 with {@code fragment} in the body; fails naming {@code owner},
     * the last answer and the log to read. Fails at once when {@code process} (if given) has exited.
     */
    public static void await(String url, String fragment, Duration timeout, ManagedProcess process, String owner) {
        await(HTTP, url, fragment, timeout, process, owner);
    }

    /** As {@link #await}, for a server that talks https to clients with a certificate (an etcd with {@link EtcdTls}). */
    public static void await(EtcdTls tls, String url, String fragment, Duration timeout, ManagedProcess process, String owner) {
        await(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).sslContext(PemTls.clientContext(tls.ca(), tls.clientCert(),
                tls.clientKey())).build(), url, fragment, timeout, process, owner);
    }

    private static void await(HttpClient http, String url, String fragment, Duration timeout, ManagedProcess process, String owner) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
        Instant deadline = Instant.now().plus(timeout);
        String last = "not listening";
        while (Instant.now().isBefore(deadline)) {
            if (process != null) {
                process.requireAlive();
            }
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains(fragment)) {
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = "not listening";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StackException("interrupted while waiting for " + owner, e);
            }
            Ports.sleep(Duration.ofMillis(150));
        }
        throw new StackException(owner + " was not ready within " + timeout.toSeconds() + " s (" + last + ")"
                + (process == null ? "" : "; see " + process.logFile()));
    }
}
