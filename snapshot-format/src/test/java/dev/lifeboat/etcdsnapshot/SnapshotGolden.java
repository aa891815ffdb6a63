package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.stack.EtcdRelease;

/**
 * Snapshots taken from a real etcd with {@code etcdctl snapshot save}: our reading agrees with the release's own
 * status ({@code etcdutl snapshot status} on 3.5, {@code etcdctl} on 3.4) and with the live keyspace etcd serves at
 * the snapshot's revision. Run for each release: {@link SnapshotGoldenIT} (3.5) and {@link SnapshotGolden34IT}.
 */
abstract class SnapshotGolden {

    /** The etcd release whose snapshots are read. */
    abstract EtcdRelease release();

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void statusEqualsEtcdctl() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        assertStatusMatches(fixture);
    }

    @Test
    void statusOfAnEmptyClusterEqualsEtcdctl() throws Exception {
        EtcdFixture fixture = EtcdFixture.empty(release());
        SnapshotStatus status = assertStatusMatches(fixture);
        assertEquals(0, status.liveKeys());
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fixture.snapshot)) {
            List<KeyValue> live = new ArrayList<>();
            snapshot.forEachLive(new byte[0], live::add);
            assertEquals(List.of(), live);
            snapshot.verify();
        }
    }

    private SnapshotStatus assertStatusMatches(EtcdFixture fixture) throws Exception {
        JsonNode expected = JSON.readTree(fixture.status(fixture.snapshot.toString()));
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fixture.snapshot)) {
            assertTrue(snapshot.hasHashTrailer());
            SnapshotStatus status = snapshot.status();
            assertEquals(expected.get("hash").asLong(), status.hash(), "hash");
            assertEquals(expected.get("revision").asLong(), status.revision(), "revision");
            assertEquals(expected.get("totalKey").asLong(), status.totalKey(), "totalKey");
            assertEquals(expected.get("totalSize").asLong(), status.totalSize(), "totalSize");
            return status;
        }
    }

    @Test
    void liveKeysAndValuesEqualWhatEtcdServesAtTheSnapshotRevision() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fixture.snapshot)) {
            SnapshotStatus status = snapshot.status();
            Map<String, JsonNode> served = served(fixture, "", status.revision());
            Map<String, KeyValue> ours = live(snapshot, "");
            assertEquals(served.keySet(), ours.keySet());
            assertEquals(served.size(), status.liveKeys());
            assertTrue(served.size() > 3000, "the fixture holds thousands of live keys: " + served.size());
            for (Map.Entry<String, JsonNode> entry : served.entrySet()) {
                JsonNode expected = entry.getValue();
                KeyValue kv = ours.get(entry.getKey());
                assertArrayEquals(Base64.getDecoder().decode(expected.path("value").asText("")), kv.value(), entry.getKey());
                assertEquals(expected.get("create_revision").asLong(), kv.createRevision(), entry.getKey());
                assertEquals(expected.get("mod_revision").asLong(), kv.modRevision(), entry.getKey());
                assertEquals(expected.get("version").asLong(), kv.version(), entry.getKey());
                assertEquals(expected.path("lease").asLong(0), kv.lease(), entry.getKey());
            }
            assertTrue(ours.values().stream().anyMatch(kv -> kv.value().length == 900_000), "a value spanning overflow pages");
            assertTrue(ours.values().stream().filter(kv -> kv.lease() != 0).count() == 20, "leased keys keep their lease");
            assertTrue(ours.containsKey(b64("/registry/ünïcödé/名前/🚀")));
            assertTrue(snapshot.consistentIndex() >= status.revision(), "etcd applied at least one raft entry per revision: "
                    + snapshot.consistentIndex());
            assertEquals(1, snapshot.leases().size());
            assertEquals(3600, snapshot.leases().get(0).ttl());
        }
    }

    @Test
    void aPrefixSelectsOneNamespace() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fixture.snapshot)) {
            long revision = snapshot.status().revision();
            Map<String, JsonNode> served = served(fixture, "/registry/ns3/", revision);
            assertFalse(served.isEmpty());
            assertEquals(served.keySet(), live(snapshot, "/registry/ns3/").keySet());
            assertEquals(Map.of(), live(snapshot, "/registry/ns9/"), "a prefix deleted as a whole has no live keys");
        }
    }

    @Test
    void historyIsInRevisionOrderAndEndsAtTheStatusRevision() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fixture.snapshot)) {
            List<Revision> revisions = new ArrayList<>();
            int[] tombstones = {0};
            snapshot.forEachHistory((revision, kv) -> {
                revisions.add(revision);
                if (revision.tombstone()) {
                    tombstones[0]++;
                    assertEquals(0, kv.value().length);
                } else {
                    assertEquals(revision.main(), kv.modRevision());
                }
            });
            for (int i = 1; i < revisions.size(); i++) {
                assertTrue(revisions.get(i - 1).compareTo(revisions.get(i)) < 0, "ascending at " + i);
            }
            assertEquals(snapshot.status().revision(), revisions.get(revisions.size() - 1).main());
            assertTrue(tombstones[0] > 300, "deletions are in the history: " + tombstones[0]);
        }
    }

    @Test
    void theCommandLineAgreesWithEtcdctl() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        String file = fixture.snapshot.toString();
        JsonNode expected = JSON.readTree(fixture.status(file));

        Result status = cli("status", file);
        assertEquals(0, status.code);
        JsonNode ours = JSON.readTree(status.out);
        for (String field : List.of("hash", "revision", "totalKey", "totalSize")) {
            assertEquals(expected.get(field).asLong(), ours.get(field).asLong(), field);
        }

        Result verify = cli("verify", file);
        assertEquals(0, verify.code, verify.err);

        Result ls = cli("ls", file, "/registry/ns1/");
        List<String> keys = ls.out.lines().sorted().toList();
        List<String> servedKeys = fixture.etcdctl("get", "/registry/ns1/", "--prefix", "--keys-only").lines()
                .filter(line -> !line.isEmpty()).sorted().toList();
        assertEquals(servedKeys, keys);

        Result get = cli("get", file, "/registry/ünïcödé/名前/🚀");
        assertEquals(0, get.code);
        assertEquals("ノード", get.out);

        Result missing = cli("get", file, "/registry/none");
        assertEquals(1, missing.code);
        assertEquals("snapshot-format: key not found: /registry/none\n", missing.err);
    }

    @Test
    void aTruncatedSnapshotFailsVerifyWithOneLine() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(release());
        byte[] bytes = Files.readAllBytes(fixture.snapshot);
        Path cut = Files.write(fixture.snapshot.resolveSibling("cut.db"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Result verify = cli("verify", cut.toString());
        assertEquals(1, verify.code);
        assertEquals(1, verify.err.lines().count(), verify.err);
        assertTrue(verify.err.startsWith("snapshot-format: "), verify.err);

        Result usage = cli("frobnicate");
        assertEquals(2, usage.code);
    }

    private record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SnapshotCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** etcd's live keyspace under a prefix at a revision, keyed by base64 key. */
    private static Map<String, JsonNode> served(EtcdFixture fixture, String prefix, long revision) throws Exception {
        JsonNode response = JSON.readTree(fixture.etcdctl("get", prefix, "--prefix", "--rev=" + revision, "-w", "json"));
        Map<String, JsonNode> kvs = new HashMap<>();
        response.path("kvs").forEach(kv -> kvs.put(kv.get("key").asText(), kv));
        return kvs;
    }

    static Map<String, KeyValue> live(EtcdSnapshot snapshot, String prefix) {
        List<KeyValue> all = new ArrayList<>();
        snapshot.forEachLive(prefix.getBytes(StandardCharsets.UTF_8), all::add);
        return all.stream().collect(Collectors.toMap(kv -> Base64.getEncoder().encodeToString(kv.key()), kv -> kv));
    }

    private static String b64(String key) {
        return Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }
}
