package dev.lifeboat.restore;

import static dev.lifeboat.restore.RestoreTestSupport.put;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.lifeboat.etcdsnapshot.HashTrailer;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.testing.LocalStackResource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/**
 * REPLACE on etcd 3.5 members that accept only clients with a certificate (https, peer TLS,
 * {@code --client-cert-auth}), the agents restoring with etcdutl: the cases every release runs, plus what
 * only this stack checks — refused requests, a snapshot of more than 100 MB, a slow HTTP/2 downloader, a
 * REPLACE that changed nothing, and that a REPLACE is safe for Kubernetes (the revision moves past
 * everything served and old watches are told "compacted").
 */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-tls", value = "true"))
class ReplaceRestoreIT extends ReplaceRestoreCases {

    /** The large snapshot of {@code solo}, for the download test after the REPLACE test. */
    private static SnapshotCompleted large;

    @Test
    @Order(5)
    void replaceRequestsThatCannotWorkAreRefused() throws Exception {
        given().contentType(ContentType.JSON).body("{\"cluster\": \"solo\", \"mode\": \"REPLACE\", \"keyPrefix\": \"/registry/\"}")
                .post("/api/v1/restores").then().statusCode(400).body("field", equalTo("keyPrefix"));
        given().post("/api/v1/restores/0000000000000000/rollback").then().statusCode(404);
        String api = RestoreTestSupport.start("{\"cluster\": \"solo\", \"mode\": \"API\", \"dryRun\": true}");
        RestoreTestSupport.awaitEnd(api);
        given().post("/api/v1/restores/" + api + "/rollback").then().statusCode(409).body("field", equalTo("mode"));
    }

    /**
     * A keyspace of more than 100 MB that zstd shrinks more than tenfold (one 133 KB value under 780 keys,
     * beside 20 values of random bytes), through the agent, whose HTTP/2 client drains the content as fast as
     * it can write the file: snapshot-service decompresses far faster than that, and its direct memory is
     * 64 MB. The member then serves exactly the backed-up keyspace.
     */
    @Test
    @Order(6)
    void aSnapshotOfMoreThan100MbThatCompressesWellIsReplacedThroughTheAgent() throws Exception {
        String before;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            putLargeKeyspace(etcd);
            before = RestoreTestSupport.digest(etcd);
        }
        large = support.backUp("solo");
        assertTrue(large.rawSize() > 100_000_000L, "the snapshot is larger than 100 MB: " + large.rawSize());
        assertTrue(large.storedSize() * 10 < large.rawSize(), "zstd stores it in less than a tenth: " + large.storedSize() + " of " + large.rawSize());
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            RestoreTestSupport.delete(etcd, "/large/repeated-0007");
            put(etcd, Map.of("/large/after-backup", "x"));
            assertNotEquals(before, RestoreTestSupport.digest(etcd));
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + large.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals("RESTORED", view.getString("members[0].state"));
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(before, RestoreTestSupport.digest(etcd), "the member serves exactly the backed-up keyspace");
        }
    }

    /**
     * A downloader that reads the content slowly over HTTP/2 gets all of it, intact (etcd's SHA-256 trailer
     * matches the bytes before it), while snapshot-service's direct memory stays far below its 64 MB limit
     * and the service keeps answering.
     */
    @Test
    @Order(7)
    void aSlowHttp2DownloaderGetsTheWholeContentWhileMemoryStaysBounded() throws Exception {
        String snapshotUrl = ConfigProvider.getConfig().getValue("test.snapshot.url", String.class);
        AtomicLong peakDirect = new AtomicLong();
        AtomicBoolean downloading = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (downloading.get()) {
                peakDirect.accumulateAndGet(directMemoryUsed(snapshotUrl), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<InputStream> response = http.send(HttpRequest
                .newBuilder(URI.create(snapshotUrl + "/api/v1/snapshots/" + large.snapshotId() + "/content"))
                .header("Authorization", "Bearer " + LocalStackResource.adminToken()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Path file = Files.createTempFile(Path.of("target"), "slow-download", ".db");
        try {
            try (InputStream body = response.body(); var out = Files.newOutputStream(file)) {
                assertEquals(200, response.statusCode());
                assertEquals(HttpClient.Version.HTTP_2, response.version(), "the download runs over HTTP/2");
                byte[] buffer = new byte[256 * 1024];
                for (int read; (read = body.readNBytes(buffer, 0, buffer.length)) > 0;) {
                    out.write(buffer, 0, read);
                    Thread.sleep(10); // about 25 MB/s: far slower than snapshot-service decompresses
                }
            } finally {
                downloading.set(false);
                sampler.join();
            }
            System.out.printf("slow HTTP/2 download of %d bytes: snapshot-service's direct memory peaked at %d bytes%n", Files.size(file),
                    peakDirect.get());
            assertEquals(large.rawSize(), Files.size(file), "every byte of the snapshot arrived");
            assertEquals(large.rawSize() - HashTrailer.SIZE, HashTrailer.verify(file).dbSize(), "etcd's SHA-256 trailer matches the content");
        } finally {
            Files.deleteIfExists(file);
        }
        assertTrue(peakDirect.get() < 32L << 20, "snapshot-service's direct memory stayed bounded: peak " + peakDirect.get() + " bytes");
        given().baseUri(snapshotUrl).get("/q/health/ready").then().statusCode(200);
    }

    /**
     * A REPLACE whose only member fails before its data dir was touched (its restore tool fails) changes
     * nothing: the cluster is resumed by itself and says so, backups run again, etcd serves what it served.
     */
    @Test
    @Order(8)
    void aReplaceThatChangedNoMemberResumesTheClusterByItself() throws Exception {
        String before;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            before = RestoreTestSupport.digest(etcd);
        }
        Files.writeString(Path.of(failSolo0), "fail");
        String id;
        try {
            id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + large.snapshotId() + "\", \"mode\": \"REPLACE\"}");
            JsonPath view = RestoreTestSupport.awaitEnd(id);
            assertEquals("FAILED", view.getString("phase"), view.prettify());
            String error = view.getString("error");
            assertTrue(error.contains("no space left on device"), "the member's reason is shown: " + error);
            assertTrue(error.endsWith("no member's data was changed and cluster 'solo' was resumed"), error);
            assertEquals("FAILED", view.getString("members[0].state"));
            assertFalse(view.getBoolean("members[0].dataChanged"), view.prettify());
        } finally {
            Files.deleteIfExists(Path.of(failSolo0));
        }
        assertFalse(support.paused("solo"), "the cluster was resumed");
        assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls(), "the resume hooks ran");
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(before, RestoreTestSupport.digest(etcd), "the member serves what it served before");
        }
        support.backUp("solo");
    }

    /** snapshot-service's direct buffer memory in use, from its metrics (0 when it cannot be read). */
    private static long directMemoryUsed(String snapshotUrl) {
        try {
            String metrics = given().baseUri(snapshotUrl).get("/q/metrics").then().extract().asString();
            return metrics.lines().filter(line -> line.startsWith("jvm_buffer_memory_used_bytes{") && line.contains("id=\"direct\""))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).findFirst().orElse(0);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** 780 keys of one 133 KB base64 value (zstd finds the repeats) and 20 values of 100 KB random bytes. */
    private static void putLargeKeyspace(Client etcd) throws Exception {
        Random random = new Random(16);
        byte[] noise = new byte[100_000];
        random.nextBytes(noise);
        ByteSequence repeated = ByteSequence.from(Base64.getEncoder().encode(noise));
        for (int i = 0; i < 780; i++) {
            etcd.getKVClient().put(RestoreTestSupport.bytes(String.format("/large/repeated-%04d", i)), repeated).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 20; i++) {
            random.nextBytes(noise);
            etcd.getKVClient().put(RestoreTestSupport.bytes(String.format("/large/random-%02d", i)), ByteSequence.from(noise.clone()))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * What makes a REPLACE safe for Kubernetes, on etcd 3.5: a watch opened before the restore (an API
     * server's watch cache, an informer) is cancelled with "compacted" once the member serves the restored
     * data, so it re-lists instead of waiting for revisions it already has; the cluster's revision and every
     * write after the restore are above every revision the cluster served before; reading at an old revision
     * is refused as compacted. The restored keys keep the create and mod revisions of the snapshot (etcdutl
     * moves only the store's revision).
     */
    @Test
    @Order(4)
    void aReplaceMovesTheRevisionPastEverythingServedAndOldWatchesAreToldCompacted() throws Exception {
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/deployments/", 50, "d1"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("solo");
        long servedBefore;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/deployments/", 30, "d2"));
            servedBefore = RestoreTestSupport.revision(etcd);
        }
        // A watch cache's watch: opened before the restore at the next revision, resumed from there whenever the
        // connection breaks (etcd is stopped and started by the agent), until etcd answers it with something else.
        long from = servedBefore + 1;
        CompletableFuture<String> watchAnswer = CompletableFuture.supplyAsync(() -> resumedWatch(from));
        String id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);
        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertTrue(view.getBoolean("members[0].revisionBumped"), view.prettify());
        assertTrue(view.getString("members[0].note").contains("revision bumped by 1000000000 and marked compacted"), view.prettify());
        String answer = watchAnswer.get(RestoreTestSupport.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(answer.contains("compacted"), "the watch opened before the restore is cancelled as compacted: " + answer);

        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(snapshotted, everything(etcd), "the member serves exactly the snapshot's keyspace");
            long now = RestoreTestSupport.revision(etcd);
            assertTrue(now > servedBefore, "the revision moved past everything served: " + now + " after " + servedBefore);
            assertTrue(now >= snapshot.revision() + 1_000_000_000L, "the snapshot's revision " + snapshot.revision() + " bumped: " + now);
            put(etcd, Map.of("/registry/deployments/after-restore", "x"));
            KeyValue written = RestoreTestSupport.kvs(etcd, "/registry/deployments/after-restore").get(0);
            assertTrue(written.getModRevision() > servedBefore, "a write after the restore is newer than anything served before: "
                    + written.getModRevision());
            ExecutionException old = assertThrows(ExecutionException.class, () -> etcd.getKVClient().get(RestoreTestSupport.bytes("/registry/"),
                    GetOption.builder().isPrefix(true).withRevision(servedBefore).build()).get(10, TimeUnit.SECONDS));
            assertTrue(old.getCause().getMessage().contains("compacted"), "reading at a revision served before is refused: " + old.getCause());
            Watch.Watcher late = null;
            CompletableFuture<Throwable> lateEnded = new CompletableFuture<>();
            try {
                late = etcd.getWatchClient().watch(RestoreTestSupport.bytes("/registry/"), WatchOption.builder().isPrefix(true)
                        .withRevision(servedBefore + 1).build(), Watch.listener(response -> {
                        }, lateEnded::complete, () -> lateEnded.complete(null)));
                Throwable ended = lateEnded.get(30, TimeUnit.SECONDS);
                assertTrue(ended != null && String.valueOf(ended.getMessage()).contains("compacted"),
                        "a watch resumed at an old revision is told compacted: " + ended);
            } finally {
                if (late != null) {
                    late.close();
                }
            }
        }
    }


    /**
     * Watches {@code /registry/} from {@code revision} on solo, opening the watch again at the same revision
     * after each broken connection (as an API server's reflector does), for at most {@link RestoreTestSupport#WAIT};
     * returns etcd's first answer that is not a broken connection: an event, or the error that ended the watch.
     */
    private String resumedWatch(long revision) {
        java.time.Instant deadline = java.time.Instant.now().plus(RestoreTestSupport.WAIT);
        List<String> broken = new java.util.ArrayList<>();
        while (java.time.Instant.now().isBefore(deadline)) {
            CompletableFuture<String> answer = new CompletableFuture<>();
            try (Client etcd = RestoreTestSupport.etcd(solo); Watch.Watcher watcher = etcd.getWatchClient().watch(RestoreTestSupport.bytes("/registry/"),
                    WatchOption.builder().isPrefix(true).withRevision(revision).build(), Watch.listener(
                            response -> answer.complete("events " + response.getEvents().size() + " at " + response.getHeader().getRevision()),
                            error -> answer.complete("error: " + error.getMessage()), () -> answer.complete("completed")))) {
                String got = answer.get(java.time.Duration.between(java.time.Instant.now(), deadline).toMillis(), TimeUnit.MILLISECONDS);
                if (got.contains("compacted") || !got.startsWith("error")) {
                    return got;
                }
                broken.add(got);
                Thread.sleep(300);
            } catch (Exception e) {
                broken.add(e.toString());
            }
        }
        return "no answer but broken connections: " + broken;
    }

}
