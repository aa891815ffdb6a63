package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Function;

/**
 * Waiting for an etcd to serve: its {@code /health} asked until it says true or the time is up. The member's supervisor
 * and a drill's scratch etcd both wait here, each with its own reasons to stop early.
 */
public final class HealthProbe {

    /** Called before each question; throws (an {@link EtcdProcessException} saying why) to stop waiting. */
    public interface Watch {
        void check();
    }

    private HealthProbe() {
    }

    /**
     * Returns once {@code clientUrl/health} answers {@code "health":"true"}; throws the watch's exception, or after
     * {@code within} an {@link EtcdProcessException} with {@code timedOut}'s message for the last answer (or why none came).
     */
    public static void await(HttpClient http, String clientUrl, Duration within, Duration pause, Watch watch, Function<String, String> timedOut) {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            watch.check();
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/health")).timeout(Duration.ofSeconds(2))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"health\":\"true\"")) {
                    return;
                }
                last = "/health answered " + response.statusCode() + " " + response.body().strip();
                Thread.sleep(pause.toMillis());
            } catch (IOException e) {
                last = "no answer at " + clientUrl + " (" + e.getClass().getSimpleName() + ")";
                sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdProcessException("interrupted while waiting for etcd at " + clientUrl);
            }
        }
        throw new EtcdProcessException(timedOut.apply(last));
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdProcessException("interrupted while waiting for etcd");
        }
    }
}
