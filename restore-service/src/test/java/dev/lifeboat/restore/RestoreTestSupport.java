package dev.lifeboat.restore;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import dev.lifeboat.events.EventCodec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotCoalesced;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.grpc.netty.GrpcSslContexts;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/** Talks to the real services and servers of a restore test: scheduler and restore REST, etcd, Kafka. */
final class RestoreTestSupport {

    static final Duration WAIT = Duration.ofSeconds(90);

    private final String bootstrap;
    private final String schedulerUrl;
    private final AgroalDataSource db;

    RestoreTestSupport(String bootstrap, String schedulerUrl, AgroalDataSource db) {
        this.bootstrap = bootstrap;
        this.schedulerUrl = schedulerUrl;
        this.db = db;
    }

    /** Registers a cluster with the scheduler and waits until restore-service knows it. */
    void register(String cluster, String endpoints) throws Exception {
        String list = String.join("\", \"", endpoints.split(","));
        given().baseUri(schedulerUrl).contentType(ContentType.JSON)
                .body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + list + "\"]" + tls(endpoints) + "}")
                .post("/api/v1/clusters").then().statusCode(201);
        awaitRow("select count(*) from cluster where id = ?", cluster);
    }

    /**
     * Registers a cluster with its members ({@code name=peerUrl=clientUrl,...}) for REPLACE and waits until
     * restore-service knows it.
     */
    void registerWithMembers(String cluster, String endpoints, String members) throws Exception {
        StringBuilder list = new StringBuilder();
        for (String member : members.split(",")) {
            String[] parts = member.split("=");
            list.append(list.length() == 0 ? "" : ", ").append("{\"name\": \"").append(parts[0]).append("\", \"peerUrl\": \"").append(parts[1])
                    .append("\", \"clientUrl\": \"").append(parts[2]).append("\"}");
        }
        String endpointList = String.join("\", \"", endpoints.split(","));
        given().baseUri(schedulerUrl).contentType(ContentType.JSON)
                .body("{\"id\": \"" + cluster + "\", \"endpoints\": [\"" + endpointList + "\"], \"members\": [" + list + "]" + tls(endpoints) + "}")
                .post("/api/v1/clusters").then().statusCode(201);
        awaitRow("select count(*) from cluster where id = ?", cluster);
    }

    /**
     * A one-time backup through the scheduler and snapshot-service; returns it once restore-service knows it. A request
     * made while another snapshot of the cluster is starting (the scheduler's backup after a restore) is answered by that
     * one (SnapshotCoalesced): then that snapshot is the backup.
     */
    SnapshotCompleted backUp(String cluster) throws Exception {
        String requestId = given().baseUri(schedulerUrl).contentType(ContentType.JSON).body("{\"reason\": \"restore test\"}")
                .post("/api/v1/clusters/" + cluster + "/backups").then().statusCode(202).extract().path("requestId");
        List<ConsumerRecord<String, byte[]>> answers = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key())
                && (EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                        && requestId.equals(((SnapshotCompleted) EventCodec.decode(r).payload()).requestId())
                        || EventType.SNAPSHOT_COALESCED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                        && requestId.equals(((SnapshotCoalesced) EventCodec.decode(r).payload()).requestId())), 1, WAIT);
        if (answers.isEmpty()) {
            throw new AssertionError("backup request " + requestId + " of cluster " + cluster + " was not answered within " + WAIT);
        }
        LifeboatEvent answer = EventCodec.decode(answers.get(0)).payload();
        SnapshotCompleted completed = answer instanceof SnapshotCompleted c ? c : (SnapshotCompleted) EventCodec.decode(TopicProbe.await(bootstrap,
                Topics.SNAPSHOT_EVENTS, r -> cluster.equals(r.key()) && EventType.SNAPSHOT_COMPLETED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                        && ((SnapshotCompleted) EventCodec.decode(r).payload()).snapshotId().equals(((SnapshotCoalesced) answer).intoSnapshotId()),
                1, WAIT).get(0)).payload();
        awaitRow("select count(*) from snapshot where id = ?", completed.snapshotId());
        return completed;
    }

    void awaitRow(String sql, String parameter) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (count(sql, parameter) == 0) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not there after " + WAIT + ": " + sql + " / " + parameter);
            }
            Thread.sleep(100);
        }
    }

    int count(String sql, String... parameters) throws Exception {
        return Integer.parseInt(ids(sql, parameters).get(0));
    }

    /** The first column of every row the query returns, as text. */
    java.util.List<String> ids(String sql, String... parameters) throws Exception {
        try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setString(i + 1, parameters[i]);
            }
            java.util.List<String> values = new java.util.ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    values.add(row.getString(1));
                }
            }
            return values;
        }
    }

    /** POSTs a restore; returns its id. */
    static String start(String json) {
        return given().contentType(ContentType.JSON).body(json).post("/api/v1/restores").then().statusCode(202).extract().path("id");
    }

    /** Waits until the restore ends; returns its view. */
    static JsonPath awaitEnd(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            JsonPath view = given().get("/api/v1/restores/" + id).then().statusCode(200).extract().jsonPath();
            String phase = view.getString("phase");
            if ("COMPLETED".equals(phase) || "FAILED".equals(phase)) {
                return view;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("restore " + id + " still " + phase + " after " + WAIT);
            }
            Thread.sleep(200);
        }
    }

    /** Whether the scheduler has the cluster paused. */
    boolean paused(String cluster) {
        return given().baseUri(schedulerUrl).get("/api/v1/clusters/" + cluster).then().statusCode(200).extract().path("paused");
    }

    /**
     * A jetcd client of the stack's etcd: over https with the stack's client certificate when the endpoints are https
     * (an etcd that wants client certificates, as kubeadm runs it).
     */
    static Client etcd(String endpoints) {
        ClientBuilder builder = Client.builder().endpoints(endpoints.split(","));
        if (endpoints.startsWith("https://")) {
            Config config = ConfigProvider.getConfig();
            try {
                builder.sslContext(GrpcSslContexts.forClient().trustManager(new File(config.getValue("local-stack.etcd-tls-ca", String.class)))
                        .keyManager(new File(config.getValue("local-stack.etcd-tls-cert", String.class)),
                                new File(config.getValue("local-stack.etcd-tls-key", String.class)))
                        .build());
            } catch (SSLException e) {
                throw new IllegalStateException("the stack's etcd TLS files cannot be used: " + e.getMessage(), e);
            }
        }
        return builder.build();
    }

    /** The {@code tls} field of a cluster whose endpoints are https: references to the stack's CA and client certificate. */
    static String tls(String endpoints) {
        if (!endpoints.startsWith("https://")) {
            return "";
        }
        Config config = ConfigProvider.getConfig();
        return ", \"tls\": {\"caRef\": \"file:" + config.getValue("local-stack.etcd-tls-ca", String.class) + "\", \"certRef\": \"file:"
                + config.getValue("local-stack.etcd-tls-cert", String.class) + "\", \"keyRef\": \"file:"
                + config.getValue("local-stack.etcd-tls-key", String.class) + "\"}";
    }

    static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    static void put(Client etcd, Map<String, String> entries) throws Exception {
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            etcd.getKVClient().put(bytes(entry.getKey()), bytes(entry.getValue())).get(10, TimeUnit.SECONDS);
        }
    }

    static void delete(Client etcd, String key) throws Exception {
        etcd.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
    }

    /** Every key and value under a prefix, sorted. */
    static TreeMap<String, String> range(Client etcd, String prefix) throws Exception {
        TreeMap<String, String> found = new TreeMap<>();
        for (KeyValue kv : kvs(etcd, prefix)) {
            found.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        return found;
    }

    /** Every key of the member or cluster with its value, sorted. */
    static TreeMap<String, String> everything(Client etcd) throws Exception {
        return everything(etcd, 0);
    }

    /** Every key with its value as etcd held them at {@code revision} (0: now), sorted. */
    static TreeMap<String, String> everything(Client etcd, long revision) throws Exception {
        TreeMap<String, String> found = new TreeMap<>();
        for (KeyValue kv : everythingKvs(etcd, revision)) {
            found.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        return found;
    }

    /** Every key-value with its revisions and lease, as etcd held them at {@code revision} (0: now). */
    static List<KeyValue> everythingKvs(Client etcd, long revision) throws Exception {
        ByteSequence zero = ByteSequence.from(new byte[] {0});
        GetOption.Builder option = GetOption.builder().withRange(zero);
        if (revision > 0) {
            option.withRevision(revision);
        }
        return etcd.getKVClient().get(zero, option.build()).get(30, TimeUnit.SECONDS).getKvs();
    }

    static List<KeyValue> kvs(Client etcd, String prefix) throws Exception {
        return etcd.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS).getKvs();
    }

    /**
     * SHA-256 over every key and value of the member or cluster in key order, read a key at a time: the
     * keyspace compared without holding it in memory (for keyspaces of hundreds of megabytes).
     */
    static String digest(Client etcd) throws Exception {
        ByteSequence zero = ByteSequence.from(new byte[] {0});
        List<KeyValue> keys = etcd.getKVClient().get(zero, GetOption.builder().withRange(zero).withKeysOnly(true).build())
                .get(30, TimeUnit.SECONDS).getKvs();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (KeyValue key : keys) {
            List<KeyValue> found = etcd.getKVClient().get(key.getKey()).get(10, TimeUnit.SECONDS).getKvs();
            sha256.update(key.getKey().getBytes());
            sha256.update((byte) 0);
            sha256.update(found.isEmpty() ? new byte[0] : found.get(0).getValue().getBytes());
            sha256.update((byte) 0);
        }
        return keys.size() + " keys, " + HexFormat.of().formatHex(sha256.digest());
    }

    static long revision(Client etcd) throws Exception {
        return etcd.getKVClient().get(bytes("\0")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    /** The phases a restore went through, from its RestorePhaseChanged events in order. */
    List<String> phaseEvents(String cluster, String restoreId, int wanted) {
        return TopicProbe.await(bootstrap, Topics.RESTORE_EVENTS, r -> cluster.equals(r.key())
                && EventType.RESTORE_PHASE_CHANGED.ceType().equals(TopicProbe.header(r, EventCodec.H_TYPE))
                && restoreId.equals(((dev.lifeboat.events.RestorePhaseChanged) EventCodec.decode(r).payload()).restoreId()), wanted, WAIT)
                .stream().map(r -> ((dev.lifeboat.events.RestorePhaseChanged) EventCodec.decode(r).payload()).phase().name()).toList();
    }

    static void assertNoPhase(JsonPath view, String phase) {
        assertFalse(view.getMap("phases").containsKey(phase), "no " + phase + ": " + view.getMap("phases"));
    }

    static void assertPhases(JsonPath view, String... phases) {
        assertEquals(Arrays.asList(phases), List.copyOf(view.getMap("phases").keySet()), "phases: " + view.prettify());
    }

    /** The drill once it has a verdict (bounded wait). */
    static JsonPath awaitDrill(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        JsonPath view = given().get("/api/v1/drills/" + id).then().statusCode(200).extract().jsonPath();
        while ("RUNNING".equals(view.getString("state")) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            view = given().get("/api/v1/drills/" + id).then().statusCode(200).extract().jsonPath();
        }
        return view;
    }

    /** A client of the stack's S3, to read and alter stored objects as an attacker or a failing disk would. */
    static io.minio.MinioClient s3() {
        org.eclipse.microprofile.config.Config config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        return io.minio.MinioClient.builder().endpoint(config.getValue("lifeboat.s3.endpoint", String.class)).region("us-east-1")
                .credentials(config.getValue("lifeboat.s3.access-key", String.class), config.getValue("lifeboat.s3.secret-key", String.class)).build();
    }

    static byte[] readObject(io.minio.MinioClient s3, String bucket, String key) throws Exception {
        try (var in = s3.getObject(io.minio.GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    static void writeObject(io.minio.MinioClient s3, String bucket, String key, byte[] bytes) throws Exception {
        s3.putObject(io.minio.PutObjectArgs.builder().bucket(bucket).object(key).stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1)
                .build());
    }


    /** snapshot-service's view of the snapshot once it records the verdict of drill {@code drillId} (bounded wait). */
    static JsonPath awaitCatalog(String snapshotId, String drillId) throws InterruptedException {
        String snapshots = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("test.snapshot.url", String.class);
        Instant deadline = Instant.now().plus(WAIT);
        JsonPath view = given().baseUri(snapshots).get("/api/v1/snapshots/" + snapshotId).then().statusCode(200).extract().jsonPath();
        while (!drillId.equals(view.getString("drill.id")) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            view = given().baseUri(snapshots).get("/api/v1/snapshots/" + snapshotId).then().statusCode(200).extract().jsonPath();
        }
        assertEquals(drillId, view.getString("drill.id"), view.prettify());
        return view;
    }
}
