package dev.lifeboat.scheduler;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.lifeboat.events.ClusterDeleted;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterUpdated;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;

/** The clusters API on real PostgreSQL and Kafka: what is stored, what is announced, what is refused. */
@QuarkusTest
@WithTestResource(LocalStackResource.class)
class ClusterApiIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    AgroalDataSource db;

    private static String body(String id, String endpoints) {
        return """
                {"id": "%s", "displayName": "Production EU", "endpoints": [%s],
                 "tls": {"caRef": "file:/etc/kubernetes/pki/etcd/ca.crt", "certRef": "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
                         "keyRef": "env:LIFEBOAT_ETCD_CLIENT_KEY"},
                 "auth": {"userRef": "env:LIFEBOAT_ETCD_USER", "passwordRef": "file:/run/secrets/etcd-password"},
                 "destination": {"bucket": "backups-eu", "prefix": "etcd/prod"},
                 "members": [{"name": "m1", "peerUrl": "https://10.0.0.1:2380", "clientUrl": "https://10.0.0.1:2379"}]}
                """.formatted(id, endpoints);
    }

    @Test
    void registerReadUpdateDeleteAnnouncesEachChange() {
        String id = "prod-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body(body(id, "\"https://10.0.0.1:2379\""))
                .post("/api/v1/clusters").then().statusCode(201)
                .body("id", equalTo(id)).body("tls", equalTo(true)).body("auth", equalTo(true))
                .body(not(containsString("etcd-password"))).body(not(containsString("LIFEBOAT_ETCD_CLIENT_KEY")));

        ClusterRegistered registered = (ClusterRegistered) awaitEvent(id, EventType.CLUSTER_REGISTERED);
        assertEquals(List.of("https://10.0.0.1:2379"), registered.spec().endpoints());
        assertEquals("backups-eu", registered.spec().destination().bucket());
        assertEquals("file:/run/secrets/etcd-password", registered.spec().auth().passwordRef(), "references travel, values never");

        given().get("/api/v1/clusters/" + id).then().statusCode(200).body("displayName", equalTo("Production EU"))
                .body("paused", equalTo(false)).body(not(containsString("/etc/kubernetes")));

        given().contentType(ContentType.JSON).body(body(id, "\"https://10.0.0.1:2379\", \"https://10.0.0.2:2379\""))
                .put("/api/v1/clusters/" + id).then().statusCode(200).body("endpoints.size()", equalTo(2));
        ClusterUpdated updated = (ClusterUpdated) awaitEvent(id, EventType.CLUSTER_UPDATED);
        assertEquals(2, updated.spec().endpoints().size());

        given().delete("/api/v1/clusters/" + id).then().statusCode(204);
        ClusterDeleted deleted = (ClusterDeleted) awaitEvent(id, EventType.CLUSTER_DELETED);
        assertFalse(deleted.purgeSnapshots(), "snapshots stay unless purge is asked for");
        given().get("/api/v1/clusters/" + id).then().statusCode(404).body("error", equalTo("no cluster with id '" + id + "'"));
    }

    @Test
    void invalidBodiesAreRefusedNamingTheFieldAndNothingIsStored() throws Exception {
        String id = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        refused("{\"id\": \"Not_A_Label\", \"endpoints\": [\"https://10.0.0.1:2379\"]}", "id");
        refused("{\"id\": \"" + id + "\", \"endpoints\": []}", "endpoints");
        refused("{\"id\": \"" + id + "\", \"endpoints\": [\"10.0.0.1\"]}", "endpoints[0]");
        refused("{\"id\": \"" + id + "\", \"endpoints\": [\"ftp://10.0.0.1:2379\"]}", "endpoints[0]");
        refused("{\"id\": \"" + id + "\", \"endpoints\": [\"https://10.0.0.1:2379\"], \"auth\": {\"userRef\": \"env:LIFEBOAT_ETCD_U\", "
                + "\"passwordRef\": \"hunter2\"}}", "auth.passwordRef");
        refused("{\"id\": \"" + id + "\", \"endpoints\": [\"https://10.0.0.1:2379\"], \"destination\": {\"bucket\": \"No\"}}",
                "destination.bucket");
        given().contentType(ContentType.JSON).body("{not json").post("/api/v1/clusters").then().statusCode(400);

        assertEquals(0, rows(id));
        given().get("/api/v1/clusters/" + id).then().statusCode(404);
        assertEquals(0, TopicProbe.await(bootstrap, Topics.CLUSTER_EVENTS, r -> id.equals(r.key()), 1, Duration.ofSeconds(3)).size());
    }

    @Test
    void aDuplicateIdIsRefusedAndTheFirstStays() throws Exception {
        String id = "dup-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body(body(id, "\"https://10.0.0.1:2379\"")).post("/api/v1/clusters").then().statusCode(201);
        given().contentType(ContentType.JSON).body(body(id, "\"https://10.9.9.9:2379\"")).post("/api/v1/clusters").then()
                .statusCode(400).body("field", equalTo("id")).body("error", containsString("exists"));
        given().get("/api/v1/clusters/" + id).then().body("endpoints[0]", equalTo("https://10.0.0.1:2379"));
        assertEquals(1, rows(id));
    }

    @Test
    void aOneTimeBackupIsASnapshotRequest() {
        String id = "once-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType(ContentType.JSON).body(body(id, "\"https://10.0.0.1:2379\"")).post("/api/v1/clusters").then().statusCode(201);
        String requestId = given().contentType(ContentType.JSON).body("{\"reason\": \"before the upgrade\"}")
                .post("/api/v1/clusters/" + id + "/backups").then().statusCode(202).extract().path("requestId");
        SnapshotRequested requested = (SnapshotRequested) awaitEvent(id, EventType.SNAPSHOT_REQUESTED);
        assertEquals(requestId, requested.requestId());
        assertEquals("before the upgrade", requested.reason());
        given().contentType(ContentType.JSON).post("/api/v1/clusters/nobody-" + id + "/backups").then().statusCode(404);
    }

    private void refused(String json, String field) {
        given().contentType(ContentType.JSON).body(json).post("/api/v1/clusters").then().statusCode(400)
                .body("field", equalTo(field)).body(not(containsString("hunter2")));
    }

    private LifeboatEvent awaitEvent(String cluster, EventType type) {
        List<ConsumerRecord<String, byte[]>> records = TopicProbe.await(bootstrap, type.topic(),
                r -> cluster.equals(r.key()) && type.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE)), 1, WAIT);
        assertEquals(1, records.size(), type + " for " + cluster);
        assertTrue(new String(records.get(0).value(), StandardCharsets.UTF_8).contains(cluster));
        return EventCodec.decode(records.get(0)).payload();
    }

    private int rows(String id) throws Exception {
        try (Connection connection = db.getConnection();
                PreparedStatement query = connection.prepareStatement("select count(*) from cluster where id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }
}
