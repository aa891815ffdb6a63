package dev.lifeboat.scheduler;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.RestAssuredTokens;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.QuarkusService;
import io.restassured.http.ContentType;

/**
 * Two scheduler processes (the packaged service, twice) on one PostgreSQL: 40 policies {@code @every 1s}
 * for ten seconds, both replicas ticking, and not one slot fires twice. A failsafe test: it needs the jar.
 */
class TwoReplicasPackagedIT {

    private static final List<QuarkusService> STARTED = new ArrayList<>();

    @AfterAll
    static void stop() {
        STARTED.forEach(QuarkusService::close);
        LocalStack.stopShared();
    }

    @Test
    void twoReplicasNeverFireTheSameSlotTwice() throws Exception {
        LocalStack stack = LocalStack.shared(Topics.all());
        RestAssuredTokens.useAdminTokenOf(stack);
        Path repo = Path.of("..").toAbsolutePath().normalize();
        for (String name : List.of("scheduler-a", "scheduler-b")) {
            STARTED.add(QuarkusService.startOnFreePort(repo, "scheduler-service", name, stack.quarkusConfig(), stack.options().runDir()));
        }
        for (QuarkusService replica : STARTED) {
            replica.awaitReady(Duration.ofSeconds(120));
        }
        String prefix = "twin-" + UUID.randomUUID().toString().substring(0, 6);
        for (int c = 0; c < 4; c++) {
            String cluster = prefix + "-" + c;
            given().baseUri(STARTED.get(c % 2).url()).contentType(ContentType.JSON)
                    .body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"https://10.0.0.1:2379\"]}").post("/api/v1/clusters").then().statusCode(201);
            for (int p = 0; p < 10; p++) {
                given().baseUri(STARTED.get(p % 2).url()).contentType(ContentType.JSON).body("{\"id\": \"p" + p + "\", \"schedule\": \"@every 1s\"}")
                        .post("/api/v1/clusters/" + cluster + "/policies").then().statusCode(201);
            }
        }
        Thread.sleep(10_000);
        for (int c = 0; c < 4; c++) {
            for (int p = 0; p < 10; p++) {
                given().baseUri(STARTED.get((c + p) % 2).url()).delete("/api/v1/clusters/" + prefix + "-" + c + "/policies/p" + p).then()
                        .statusCode(204);
            }
        }
        Thread.sleep(1000);

        int fired = count(stack, "select count(*) from scheduler.fired_slot where cluster_id like '" + prefix + "-%'");
        assertTrue(fired >= 40 * 5, "both replicas kept firing: " + fired + " slots");
        List<String> ids = TopicProbe.await(stack.kafka().bootstrapServers(), Topics.SNAPSHOT_REQUESTS,
                r -> r.key() != null && r.key().startsWith(prefix) && EventType.SNAPSHOT_REQUESTED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)),
                fired + 1, Duration.ofSeconds(15)).stream().map(r -> ((SnapshotRequested) EventCodec.decode(r).payload()).requestId()).toList();
        Set<String> unique = new HashSet<>(ids);
        assertEquals(ids.size(), unique.size(), "no slot fired twice");
        assertEquals(fired, ids.size(), "one event per claimed slot, none lost");
    }

    private static int count(LocalStack stack, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().user(), stack.postgres().password());
                ResultSet row = connection.createStatement().executeQuery(sql)) {
            row.next();
            return row.getInt(1);
        }
    }
}
