package dev.lifeboat.scheduler;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TestEvents;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** Events of every service about a cluster, in order, over REST. */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class TimelineIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void showsEveryStepOfABackupCycleInOrder() throws Exception {
        String cluster = "tl-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"https://10.0.0.1:2379\"]}")
                .post("/api/v1/clusters").then().statusCode(201);
        String requestId = given().contentType(ContentType.JSON).post("/api/v1/clusters/" + cluster + "/backups").then()
                .statusCode(202).extract().path("requestId");
        Instant now = Instant.now();
        TestEvents.publish(bootstrap, "lifeboat/snapshot-service", new SnapshotCompleted("s1", requestId, cluster, SnapshotKind.FULL,
                4711, null, "lifeboat", "lifeboat/" + cluster + "/full/x.db.zst", 1000, 300, "aa", "bb", "zstd", null, "3.4.23", now, now, null, null));
        TestEvents.publish(bootstrap, "lifeboat/restore-service", new ClusterPauseRequested(cluster, "r1", "restore"));
        TestEvents.publish(bootstrap, "lifeboat/restore-service", new ClusterResumeRequested(cluster, "r1"));

        // Waits for the steps themselves, not for a count: the timeline also shows the audit records of the two API calls.
        List<String> steps = List.of("lifeboat.cluster.registered.v1", "lifeboat.snapshot.requested.v1", "lifeboat.snapshot.completed.v1",
                "lifeboat.cluster.pause-requested.v1", "lifeboat.cluster.paused.v1", "lifeboat.cluster.resume-requested.v1");
        List<Map<String, Object>> timeline = List.of();
        List<Object> types = List.of();
        for (int i = 0; i < 100 && !types.containsAll(steps); i++) {
            Thread.sleep(200);
            timeline = given().get("/api/v1/clusters/" + cluster + "/timeline").then().statusCode(200).extract().jsonPath().getList("$");
            types = timeline.stream().map(e -> e.get("type")).toList();
        }
        assertTrue(types.containsAll(steps), types.toString());
        assertTrue(types.indexOf("lifeboat.cluster.registered.v1") < types.indexOf("lifeboat.snapshot.requested.v1"), types.toString());
        Map<String, Object> completed = timeline.stream().filter(e -> "lifeboat.snapshot.completed.v1".equals(e.get("type")))
                .findFirst().orElseThrow();
        assertEquals("lifeboat/snapshot-service", completed.get("source"));
        assertEquals("snapshot s1 completed at revision 4711, 1000 bytes (300 stored)", completed.get("summary"));
        Map<String, Object> requested = timeline.stream().filter(e -> "lifeboat.snapshot.requested.v1".equals(e.get("type")))
                .findFirst().orElseThrow();
        assertEquals("lifeboat/scheduler-service", requested.get("source"));
        assertTrue(requested.get("traceId") != null, "the scheduler's own events carry their trace: " + requested);

        given().queryParam("since", "yesterday").get("/api/v1/clusters/" + cluster + "/timeline").then().statusCode(400);
    }
}
