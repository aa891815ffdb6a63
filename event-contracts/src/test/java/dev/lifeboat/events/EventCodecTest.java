package dev.lifeboat.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:15:30Z");

    @Test
    void roundTripsThroughHeadersAndBody() {
        SnapshotCompleted event = new SnapshotCompleted("s1", "r1", "prod-eu", SnapshotKind.FULL, 4711L, null, "bucket",
                "backups/prod-eu/full/20261122T101530Z-r4711-s1.db.zst", 1000, 400, "aa", "bb", "zstd", null, "3.4.23",
                NOW, NOW, null, null);
        UUID id = UUID.randomUUID();
        ConsumerRecord<String, byte[]> record = record(event.partitionKey(), EventCodec.encode(event));
        EventCodec.writeHeaders(record.headers(), id, EventType.of(event), "lifeboat/snapshot-service", event.clusterId(), NOW);

        ReceivedEvent<LifeboatEvent> decoded = EventCodec.decode(record);

        assertEquals(event, decoded.payload());
        assertEquals(id, decoded.id());
        assertEquals(EventType.SNAPSHOT_COMPLETED, decoded.type());
        assertEquals("lifeboat/snapshot-service", decoded.source());
        assertEquals("prod-eu", decoded.subject());
        assertEquals(NOW, decoded.time());
        assertTrue(new String(record.value(), StandardCharsets.UTF_8).contains("\"completedAt\":\"2026-11-22T10:15:30Z\""));
    }

    @Test
    void aKeyspaceFingerprintRoundTripsAndAnEventWithoutOneStillReads() {
        SnapshotCompleted plain = new SnapshotCompleted("s2", "r2", "prod-eu", SnapshotKind.FULL, 4711L, null, "bucket", "k", 1000, 400, "aa",
                "bb", "zstd", null, "3.5.21", NOW, NOW, null, null);
        SnapshotCompleted fingerprinted = plain.withKeyspace(new SnapshotCompleted.KeyspaceFingerprint(0xfedcba98L, 4000, 312));
        ConsumerRecord<String, byte[]> record = record(fingerprinted.partitionKey(), EventCodec.encode(fingerprinted));
        EventCodec.writeHeaders(record.headers(), UUID.randomUUID(), EventType.of(fingerprinted), "lifeboat/snapshot-service", "prod-eu", NOW);
        assertEquals(fingerprinted, EventCodec.decode(record).payload());
        assertTrue(new String(record.value(), StandardCharsets.UTF_8).contains("\"hash\":4275878552"), "the unsigned hash");

        ConsumerRecord<String, byte[]> older = record(plain.partitionKey(), EventCodec.encode(plain));
        EventCodec.writeHeaders(older.headers(), UUID.randomUUID(), EventType.of(plain), "lifeboat/snapshot-service", "prod-eu", NOW);
        assertEquals(null, ((SnapshotCompleted) EventCodec.decode(older).payload()).keyspace());
        assertThrows(IllegalArgumentException.class, () -> new SnapshotCompleted.KeyspaceFingerprint(-1, 0, 0));
    }

    @Test
    void drillCommandsAndVerdictsRoundTrip() {
        SnapshotCompleted.KeyspaceFingerprint expected = new SnapshotCompleted.KeyspaceFingerprint(123456789L, 10, 312);
        DrillTimes times = new DrillTimes(1200, 800, 1500, 90, 104_857_600);
        for (LifeboatEvent event : List.of(new RunDrill("drill-1", "prod", "etcd-0", "s9", 4711, "ab".repeat(32), 104_857_600, expected, null),
                new DrillCompleted("drill-1", "prod", "etcd-0", "s9", 4711, expected, true, 100, "3.5.21", times, NOW),
                new DrillFailed("drill-1", "prod", "etcd-0", "s9", "verify", "the keyspace differs", times, NOW),
                new DrillEnded("drill-1", "prod", "s9", true, null, null, 3500L, NOW),
                new DrillEnded("drill-2", "prod", "s9", false, "timeout", "no etcd-agent answered", null, NOW),
                new DrillRequested("policy-prod-nightly-1765000000", "prod", null, "policy nightly", NOW),
                new DrillRequested("drill-5", "prod", "s9", "runbook", NOW),
                new DrillRequested("drill-7", "prod", null, "runbook", NOW, 90_000L),
                new DrillEnded("drill-7", "prod", "s9", false, "replay", "delta d2 is damaged", null, NOW, List.of("d1", "d2")),
                new RunDrill("drill-7", "prod", "etcd-0", "s9", 90_000, "ab".repeat(32), -1, expected, NOW, List.of("d1", "d2")))) {
            ConsumerRecord<String, byte[]> record = record(event.partitionKey(), EventCodec.encode(event));
            EventCodec.writeHeaders(record.headers(), UUID.randomUUID(), EventType.of(event), "lifeboat/etcd-agent", "prod", NOW);
            assertEquals(event, EventCodec.decode(record).payload());
        }
        assertEquals(Topics.AGENT_COMMANDS, EventType.RUN_DRILL.topic());
        assertEquals(3500, times.recoveryMillis());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RunDrill("../escape", "prod", "etcd-0", "s9", 4711, "ab", 1, null, null));
        assertTrue(e.getMessage().contains("drillId"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DrillFailed("drill-1", "prod", "etcd-0", "s9", "verify", " ", times, NOW));
        assertTrue(e.getMessage().contains("reason"), e.getMessage());
        assertEquals(Topics.RESTORE_EVENTS, EventType.DRILL_ENDED.topic());
        assertEquals(Topics.RESTORE_REQUESTS, EventType.DRILL_REQUESTED.topic(), "restore-service reads drill requests where it reads restore requests");
        e = assertThrows(IllegalArgumentException.class, () -> new DrillRequested("drill-6", "prod", "../../etc", "runbook", NOW));
        assertTrue(e.getMessage().contains("snapshot"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RunDrill("drill-7", "prod", "etcd-0", "s9", 9, "ab", 1, null, null,
                List.of("d1", "../../bucket")));
        assertTrue(e.getMessage().contains("deltaIds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DrillRequested("drill-8", "prod", null, "runbook", NOW, 0L));
        assertTrue(e.getMessage().contains("toRevision"), e.getMessage());
        assertEquals(List.of(), new RunDrill("drill-1", "prod", "etcd-0", "s9", 4711, "ab", 1, null, null).deltaIds(), "a drill of the snapshot alone");
        assertFalse(new DrillEnded("drill-2", "prod", "s9", false, "timeout", "no etcd-agent answered", null, NOW).judgesSnapshot(),
                "a drill no agent ran says nothing of the snapshot");
        assertTrue(new DrillEnded("drill-3", "prod", "s9", false, "verify", "the keyspace differs", null, NOW).judgesSnapshot());
        assertFalse(new DrillEnded("drill-7", "prod", "s9", false, "verify", "the keyspace differs", null, NOW, List.of("d1")).judgesSnapshot(),
                "a point-in-time drill that failed after fetching the snapshot may have failed on a delta");
        assertTrue(new DrillEnded("drill-7", "prod", "s9", false, "fetch", "SHA-256 differs", null, NOW, List.of("d1")).judgesSnapshot());
        assertTrue(new DrillEnded("drill-7", "prod", "s9", true, null, null, 100L, NOW, List.of("d1")).judgesSnapshot());
        e = assertThrows(IllegalArgumentException.class, () -> new DrillEnded("drill-4", "prod", "s9", false, null, "why", null, NOW));
        assertTrue(e.getMessage().contains("stage"), e.getMessage());
    }

    @Test
    void everyContractHasOneTypeAndTopic() {
        for (EventType type : EventType.values()) {
            assertTrue(type.ceType().matches("lifeboat\\.[a-z]+\\.[a-z-]+\\.v\\d+"), type.ceType());
            assertTrue(Topics.all().containsKey(type.topic()), type + " goes to an undeclared topic " + type.topic());
            assertEquals(type, EventType.ofCeType(type.ceType()).orElseThrow());
        }
    }

    @Test
    void aSelfHealReportRoundTripsAndAFailedOneMustSayWhy() {
        MemberSelfHealed healed = new MemberSelfHealed("self-heal-20261205t163000z", "prod", "etcd-0", "s9", 4711, "the data dir has no database",
                true, 1_000_004_711L, "/var/lib/etcd.pre-restore-20261205T163000Z", null, NOW);
        ConsumerRecord<String, byte[]> record = record(healed.partitionKey(), EventCodec.encode(healed));
        EventCodec.writeHeaders(record.headers(), UUID.randomUUID(), EventType.of(healed), "lifeboat/etcd-agent", "prod", NOW);
        assertEquals(healed, EventCodec.decode(record).payload());
        assertEquals(Topics.AGENT_EVENTS, EventType.of(healed).topic());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MemberSelfHealed("self-heal-1", "prod", "etcd-0", "s9",
                4711, "the data dir has no database", false, null, null, null, NOW));
        assertTrue(e.getMessage().contains("reason"), e.getMessage());
    }

    @Test
    void agentCommandsAreKeyedByMember() {
        RestoreMember command = new RestoreMember("rs1", "prod", "etcd-1", "s1", List.of(), "token-2", 0, null, null);
        assertEquals("prod/etcd-1", command.partitionKey());
    }

    @Test
    void namesTheMissingField() {
        MalformedEventException e = assertThrows(MalformedEventException.class,
                () -> EventCodec.decodeBody(EventType.SNAPSHOT_REQUESTED, "{\"clusterId\":\"c\",\"kind\":\"FULL\"}".getBytes()));
        assertTrue(e.getMessage().contains("missing field requestId"), e.getMessage());
    }

    @Test
    void namesTheInvalidValue() {
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> EventCodec.decodeBody(
                EventType.SNAPSHOT_REQUESTED,
                "{\"requestId\":\"r\",\"clusterId\":\"c\",\"kind\":\"HALF\",\"requestedAt\":\"2026-11-22T10:15:30Z\"}".getBytes()));
        assertTrue(e.getMessage().contains("kind") && e.getMessage().contains("HALF"), e.getMessage());
    }

    @Test
    void rejectsASubjectThatDiffersFromTheBody() {
        ClusterDeleted event = new ClusterDeleted("a", false);
        ConsumerRecord<String, byte[]> record = record("a", EventCodec.encode(event));
        EventCodec.writeHeaders(record.headers(), UUID.randomUUID(), EventType.CLUSTER_DELETED, "x", "b", NOW);
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> EventCodec.decode(record));
        assertTrue(e.getMessage().contains("ce_subject 'b'"), e.getMessage());
    }

    @Test
    void rejectsMissingHeaders() {
        ConsumerRecord<String, byte[]> record = record("a", "{}".getBytes());
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> EventCodec.decode(record));
        assertEquals("missing header ce_type", e.getMessage());
    }

    private static ConsumerRecord<String, byte[]> record(String key, byte[] value) {
        return new ConsumerRecord<>("t", 0, 0L, key, value);
    }
}
