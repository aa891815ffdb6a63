package dev.lifeboat.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifeboat.agent.etcd.EtcdProcessException;
import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.member.MemberRestorer;
import dev.lifeboat.agent.member.RestoreState;
import dev.lifeboat.agent.member.StateFiles;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberRestored;
import dev.lifeboat.events.MemberRolledBack;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RollbackMember;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import jakarta.inject.Inject;

/**
 * The agent on a real etcd and Kafka: it supervises etcd (a killed etcd comes back), it finishes or
 * undoes a restore a crash interrupted (the state files), it rolls back over Kafka, and it refuses
 * commands it cannot or must not run. The full REPLACE path (with snapshot-service and the saga) is
 * tested in restore-service.
 *
 * <p>The cases share one agent and etcd but not their data: each uses its own keys and restore ids, and leaves
 * etcd healthy (checked after each), so they pass in any order.
 */
abstract class EtcdAgentCases {

    @Inject
    EtcdSupervisor etcd;
    @Inject
    MemberRestorer restorer;
    @Inject
    StateFiles states;

    @ConfigProperty(name = "lifeboat.agent.etcd.client-url")
    String endpoint;
    @ConfigProperty(name = "lifeboat.agent.etcd.peer-url")
    String peerUrl;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @AfterEach
    void etcdIsHealthyAgain() {
        etcd.awaitHealthy();
    }

    @Test
    void etcdKilledUnderTheAgentIsRestartedWithItsData() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/survives/kill", "yes");
        long pid = etcd.pid();
        int restarts = etcd.restarts();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline) && (etcd.pid() == pid || etcd.pid() < 0 || etcd.restarts() == restarts)) {
            Thread.sleep(100);
        }
        etcd.awaitHealthy();
        assertNotEquals(pid, etcd.pid(), "etcd was started again");
        assertEquals(restarts + 1, etcd.restarts());
        assertEquals("yes", Etcdctl.get(endpoint, "/survives/kill"));
    }

    /** The cluster id the agent reads from the data dir's WAL without etcd is the one etcd reports. */
    @Test
    void theWalNamesTheClusterEtcdServes() {
        etcd.awaitHealthy();
        EtcdSupervisor.Status status = etcd.status();
        dev.lifeboat.agent.etcd.WalMetadata wal = dev.lifeboat.agent.etcd.WalMetadata.read(etcd.dataDir()).orElseThrow();
        assertEquals(status.clusterId(), Long.toUnsignedString(wal.clusterId()));
        assertNotEquals(0, wal.memberId());
        assertTrue(dev.lifeboat.agent.etcd.WalMetadata.read(etcd.dataDir().resolveSibling("no-such-dir")).isEmpty());
    }

    @Test
    void aMemberThatServedDataIsNotStartedOnAnEmptyOrCorruptDataDir() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/guarded", "kept");
        etcd.recordServed();
        etcd.stop();
        Path dataDir = etcd.dataDir();
        Path moved = dataDir.resolveSibling(dataDir.getFileName() + ".moved-by-test");
        Files.move(dataDir, moved);
        try {
            etcd.start();
            assertEquals(-1, etcd.pid(), "etcd is not started on an empty data dir: it would become a new empty cluster");
            assertTrue(etcd.refusal().contains("has no database (member/snap/db)") && etcd.refusal().contains("new empty cluster"),
                    etcd.refusal());
            String readiness = io.restassured.RestAssured.given().get("/q/health/ready").then().statusCode(503).extract().asString();
            assertTrue(readiness.contains("etcd data dir") && readiness.contains("has no database"), readiness);
            EtcdProcessException waited = org.junit.jupiter.api.Assertions.assertThrows(EtcdProcessException.class, etcd::awaitHealthy);
            assertTrue(waited.getMessage().startsWith("etcd was not started: the data dir"), waited.getMessage());
        } finally {
            etcd.stop();
            Files.move(moved, dataDir);
        }

        Path db = dataDir.resolve("member/snap/db");
        byte[] metaPages;
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(db, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(8192);
            file.read(head, 0);
            metaPages = head.array();
            file.write(java.nio.ByteBuffer.allocate(8192), 0);
        }
        try {
            etcd.start();
            assertEquals(-1, etcd.pid(), "etcd is not started on a corrupt database");
            assertTrue(etcd.refusal().contains("is corrupt") && etcd.refusal().contains("no valid meta page"), etcd.refusal());
        } finally {
            etcd.stop();
            try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(db, java.nio.file.StandardOpenOption.WRITE)) {
                file.write(java.nio.ByteBuffer.wrap(metaPages), 0);
            }
        }

        etcd.start();
        etcd.awaitHealthy();
        assertNull(etcd.refusal(), "the data dir passes its check again");
        assertEquals("kept", Etcdctl.get(endpoint, "/guarded"), "the member's data, untouched");
        io.restassured.RestAssured.given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void aRestoreInterruptedWhileSwappingIsUndoneAndAnswered() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/before/swap", "kept");
        // What a crash between the two renames leaves: etcd stopped, the data dir moved aside, the staging dir half written.
        RestoreState state = state("crash-swap", RestoreState.Step.SWAPPING);
        etcd.stop();
        Path dataDir = etcd.dataDir();
        state.asideDir = dataDir.resolveSibling(dataDir.getFileName() + ".pre-restore-test").toString();
        Files.move(dataDir, Path.of(state.asideDir));
        Path staging = dataDir.resolveSibling(dataDir.getFileName() + ".restoring-crash-swap");
        Files.createDirectories(staging.resolve("member"));
        Files.writeString(staging.resolve("member/half-written"), "x");
        states.save(state);

        restorer.recover();

        etcd.awaitHealthy();
        assertEquals("kept", Etcdctl.get(endpoint, "/before/swap"), "the previous data dir is back and served");
        assertFalse(Files.exists(staging), "the half-written staging dir is gone");
        assertFalse(Files.exists(Path.of(state.asideDir)));
        MemberRestoreFailed failed = (MemberRestoreFailed) answer("crash-swap", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(failed.reason().contains("stopped during step SWAPPING"), failed.reason());
        assertTrue(failed.reason().contains("not changed"), failed.reason());
        assertEquals(RestoreState.Step.FAILED, states.find("crash-swap").orElseThrow().step);
    }

    @Test
    void aRestoreInterruptedAfterTheSwapIsFinishedThenRolledBackOverKafka() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/in/snapshot", "1");
        Path dataDir = etcd.dataDir();
        Path snapshot = savedSnapshot("test-snapshot.db");
        Etcdctl.run(endpoint, "put", "/after/snapshot", "2");
        RestoreState state = crashedAfterTheSwap(state("crash-restored", RestoreState.Step.RESTORED), snapshot,
                AgentTestResource.MEMBER + "=" + peerUrl);

        restorer.recover();

        etcd.awaitHealthy();
        assertEquals("1", Etcdctl.get(endpoint, "/in/snapshot"));
        assertNull(Etcdctl.get(endpoint, "/after/snapshot"), "the member serves the snapshot, not what came after it");
        MemberRestored restored = (MemberRestored) answer("crash-restored", EventType.MEMBER_RESTORED);
        assertTrue(restored.revision() > 0);
        assertTrue(Files.isDirectory(Path.of(state.asideDir)), "the pre-restore data dir is kept for a rollback");

        Etcdctl.run(endpoint, "put", "/written/after/restore", "3");
        // A later restore that replaced the member's data stands in the way: only the latest restore rolls back.
        RestoreState later = state("crash-restored-later", RestoreState.Step.DONE);
        later.answered = true;
        states.save(later);
        TestEvents.publish(kafka, "test", new RollbackMember("crash-restored", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, null));
        MemberRolledBack refused = rolledBack("crash-restored", false);
        assertTrue(refused.reason().contains("restore crash-restored-later replaced member " + AgentTestResource.MEMBER
                + "'s data after restore crash-restored; only the latest restore rolls back"), refused.reason());
        assertEquals("3", Etcdctl.get(endpoint, "/written/after/restore"), "nothing changed");
        later.step = RestoreState.Step.ROLLED_BACK;
        states.save(later);

        TestEvents.publish(kafka, "test", new RollbackMember("crash-restored", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, null));
        MemberRolledBack rolledBack = rolledBack("crash-restored", true);
        assertTrue(rolledBack.succeeded(), String.valueOf(rolledBack.reason()));
        etcd.awaitHealthy();
        assertEquals("2", Etcdctl.get(endpoint, "/after/snapshot"), "the pre-restore data is back");
        assertNull(Etcdctl.get(endpoint, "/written/after/restore"));
        assertFalse(Files.exists(Path.of(state.asideDir)));
        RestoreState after = states.find("crash-restored").orElseThrow();
        assertTrue(after.replacedDir.startsWith(dataDir + ".replaced-by-rollback-crash-restored-"), after.replacedDir);
        assertTrue(Files.isDirectory(Path.of(after.replacedDir, "member", "snap")),
                "the data the rollback replaced (the restored data and the write after it) is set aside, not deleted: " + after.replacedReleased);
    }

    /**
     * A member of several whose agent crashed right after the swap: restarted, the agent starts etcd on the restored data
     * and waits for its peers' quorum on a thread of its own, so its start is not held up; when the saga reports the
     * restore FAILED meanwhile (its peers are being put back, the quorum never comes) it stops waiting at once instead of
     * at the command's expiry, answers FAILED, and the rollback puts the member's data back.
     */
    @Test
    void aRestoreOfSeveralMembersInterruptedAfterTheSwapStopsWaitingForQuorumWhenTheSagaFails() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/before/quorum", "kept");
        Path snapshot = savedSnapshot("quorum-snapshot.db");
        // Restored for three members, two of which never come: etcd on it has no leader.
        String absent1 = "http://127.0.0.1:" + dev.lifeboat.stack.Ports.free();
        String absent2 = "http://127.0.0.1:" + dev.lifeboat.stack.Ports.free();
        RestoreState state = state("crash-quorum", RestoreState.Step.RESTORED);
        state.members = List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint),
                new ClusterSpec.Member("absent-1", absent1, "http://127.0.0.1:" + dev.lifeboat.stack.Ports.free()),
                new ClusterSpec.Member("absent-2", absent2, "http://127.0.0.1:" + dev.lifeboat.stack.Ports.free()));
        state.expiresAt = Instant.now().plus(Duration.ofMinutes(10));
        crashedAfterTheSwap(state, snapshot, AgentTestResource.MEMBER + "=" + peerUrl + ",absent-1=" + absent1 + ",absent-2=" + absent2);
        Files.delete(snapshot);

        restorer.recover();

        assertEquals(RestoreState.Step.RESTORED, states.find("crash-quorum").orElseThrow().step, "waiting for the peers' quorum");
        TestEvents.publish(kafka, "test", new RestorePhaseChanged("crash-quorum", AgentTestResource.CLUSTER, "snap-crash-quorum", RestoreMode.REPLACE,
                RestorePhase.FAILED, RestorePhase.RESTORING, "member restore failed", Instant.now()));
        MemberRestoreFailed failed = (MemberRestoreFailed) answer("crash-quorum", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(failed.reason().contains("restore crash-quorum failed on another member"), failed.reason());
        // answer() waits at most a minute: the command expires in ten.
        assertTrue(failed.dataChanged(), "the restored data dir was in place: " + failed.reason());

        TestEvents.publish(kafka, "test", new RollbackMember("crash-quorum", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, null));
        assertTrue(rolledBack("crash-quorum", true).succeeded());
        etcd.awaitHealthy();
        assertEquals("kept", Etcdctl.get(endpoint, "/before/quorum"), "the pre-restore data is back");
    }

    @Test
    void keptCopiesOfTheMembersDataStayWithinTheirSizeLimitOldestReleasedFirst() throws Exception {
        // pre-restore-max-size is 200M in tests: three 80 MB copies are 40 MB too many.
        List<Path> asides = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Path aside = etcd.dataDir().resolveSibling(etcd.dataDir().getFileName() + ".pre-restore-sized-" + i);
            Files.createDirectories(aside.resolve("member/snap"));
            try (java.io.RandomAccessFile db = new java.io.RandomAccessFile(aside.resolve("member/snap/db").toFile(), "rw")) {
                db.setLength(80L << 20);
            }
            RestoreState state = state("sized-" + i, RestoreState.Step.DONE);
            state.receivedAt = Instant.now().minusSeconds(60 - i);
            state.asideDir = aside.toString();
            state.answered = true;
            states.save(state);
            asides.add(aside);
        }
        try {
            restorer.sweep();

            assertFalse(Files.exists(asides.get(0)), "the oldest copy is released");
            RestoreState oldest = states.find("sized-1").orElseThrow();
            assertTrue(oldest.asideRemoved);
            assertTrue(oldest.asideReleased.contains("above pre-restore-max-size (209715200 bytes)"), oldest.asideReleased);
            assertTrue(Files.exists(asides.get(2)), "the newest copy is kept");
            assertNull(states.find("sized-3").orElseThrow().asideReleased);
        } finally {
            for (Path aside : asides) {
                if (!Files.exists(aside)) {
                    continue;
                }
                try (var files = Files.walk(aside)) {
                    for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(file);
                    }
                }
            }
        }
    }

    @Test
    void refusesARollbackOfARestoreItNeverSawAndACommandThatArrivesTooLate() throws Exception {
        TestEvents.publish(kafka, "test", new RollbackMember("never-seen", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, null));
        MemberRolledBack refused = (MemberRolledBack) answer("never-seen", EventType.MEMBER_ROLLED_BACK);
        assertFalse(refused.succeeded());
        assertTrue(refused.reason().contains("no record of restore never-seen"), refused.reason());

        // A restore command created two hours ago (a new agent reading the topic from its start) must not run, even when
        // the relay sent it just now; nor one the saga stopped waiting for.
        RestoreMember old = new RestoreMember("too-old", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, "some-snapshot",
                List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint)), "token", 0, null, null);
        TestEvents.publish(kafka, "test", old, Instant.now().minus(Duration.ofHours(2)));
        MemberRestoreFailed failed = (MemberRestoreFailed) answer("too-old", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(failed.reason().contains("command-max-age") && failed.reason().contains("not run"), failed.reason());
        assertTrue(states.find("too-old").isEmpty(), "nothing was started for it");
        TestEvents.publish(kafka, "test", new RestoreMember("expired", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, "some-snapshot",
                List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint)), "token", 0, null, Instant.now().minusSeconds(1)));
        MemberRestoreFailed expired = (MemberRestoreFailed) answer("expired", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(expired.reason().contains("stopped waiting for it") && expired.reason().contains("not run"), expired.reason());
        assertTrue(states.find("expired").isEmpty(), "nothing was started for it");
        etcd.awaitHealthy();
    }

    /**
     * The restore failed on another member, and its command reaches this agent after the FAILED was published. The
     * agent reads every restore outcome Kafka has before it runs a new restore, so it refuses the command and
     * touches nothing. Without that wait, its two consumers raced, and the command could run first.
     */
    @Test
    void aRestoreCommandThatArrivesAfterItsRestoreFailedIsRefusedAndChangesNothing() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/untouched/late", "still");
        TestEvents.publish(kafka, "test", new RestorePhaseChanged("failed-first", AgentTestResource.CLUSTER, "snap-y", RestoreMode.REPLACE,
                RestorePhase.FAILED, RestorePhase.RESTORING, "member restore failed", Instant.now()));
        TestEvents.publish(kafka, "test", new RestoreMember("failed-first", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, "snap-y",
                List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint)), "token", 0, null, Instant.now().plusSeconds(120)));
        MemberRestoreFailed refused = (MemberRestoreFailed) answer("failed-first", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(refused.reason().contains("had already failed when its command reached the etcd-agent of member " + AgentTestResource.MEMBER),
                refused.reason());
        assertEquals(Boolean.FALSE, refused.dataChanged(), "nothing was changed: " + refused.reason());
        etcd.awaitHealthy();
        assertEquals("still", Etcdctl.get(endpoint, "/untouched/late"));
    }

    /**
     * A restore command the saga would wait for longer than the agent reads restore events back on start (a
     * restore-service member-timeout of a day and more) is refused: after a restart the agent could no longer learn
     * that such a restore had failed, and would run its late command.
     */
    @Test
    void aRestoreCommandThatOutlivesTheRestoreEventsLookBackIsRefusedAndChangesNothing() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/untouched/horizon", "still");
        TestEvents.publish(kafka, "test", new RestoreMember("far-horizon", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, "snap-z",
                List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint)), "token", 0, null, Instant.now().plus(Duration.ofHours(25))));
        MemberRestoreFailed refused = (MemberRestoreFailed) answer("far-horizon", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(refused.reason().contains("restore-events-look-back of PT24H") && refused.reason().contains("not run"), refused.reason());
        assertEquals(Boolean.FALSE, refused.dataChanged(), refused.reason());
        assertTrue(states.find("far-horizon").isEmpty(), "nothing was started for it");
        etcd.awaitHealthy();
        assertEquals("still", Etcdctl.get(endpoint, "/untouched/horizon"));
    }

    @Test
    void aRestoreWhoseSnapshotCannotBeFetchedLeavesTheMemberAsItWas() throws Exception {
        etcd.awaitHealthy();
        Etcdctl.run(endpoint, "put", "/untouched", "still");
        // No snapshot-service listens at the configured URL in this test: the fetch fails before anything changes.
        TestEvents.publish(kafka, "test", new RestoreMember("no-source", AgentTestResource.CLUSTER, AgentTestResource.MEMBER, "snap-x",
                List.of(new ClusterSpec.Member(AgentTestResource.MEMBER, peerUrl, endpoint)), "token", 0, null, null));
        MemberRestoreFailed failed = (MemberRestoreFailed) answer("no-source", EventType.MEMBER_RESTORE_FAILED);
        assertTrue(failed.reason().contains("cannot fetch snapshot snap-x"), failed.reason());
        assertTrue(failed.reason().contains("not changed"), failed.reason());
        etcd.awaitHealthy();
        assertEquals("still", Etcdctl.get(endpoint, "/untouched"));
    }

    @Test
    void thePreRestoreDataDirOfACompletedRestoreIsRemovedAfterItsTime() throws Exception {
        Path aside = etcd.dataDir().resolveSibling(etcd.dataDir().getFileName() + ".pre-restore-done");
        Files.createDirectories(aside.resolve("member"));
        RestoreState state = state("completed-one", RestoreState.Step.DONE);
        state.asideDir = aside.toString();
        state.answered = true;
        states.save(state);

        restorer.sweep();
        assertTrue(Files.exists(aside), "kept while the saga has not reported COMPLETED");
        TestEvents.publish(kafka, "test", new RestorePhaseChanged("completed-one", AgentTestResource.CLUSTER, "snap", RestoreMode.REPLACE,
                RestorePhase.COMPLETED, RestorePhase.RESUMING, null, Instant.now()));
        Instant deadline = Instant.now().plusSeconds(30);
        while (states.find("completed-one").orElseThrow().sagaCompletedAt == null && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        Thread.sleep(5100);
        restorer.sweep();
        assertFalse(Files.exists(aside), "removed keep-pre-restore (5 s here) after the restore completed");
        assertTrue(states.find("completed-one").orElseThrow().asideRemoved);
    }

    /** A snapshot of the member as it is now, saved beside its data dir. */
    private Path savedSnapshot(String name) throws Exception {
        Path snapshot = etcd.dataDir().resolveSibling(name);
        Files.deleteIfExists(snapshot);
        Etcdctl.run(endpoint, "snapshot", "save", snapshot.toString());
        return snapshot;
    }

    /**
     * What a crash right after the swap leaves: {@code snapshot} restored for {@code initialCluster} as the member's data dir,
     * the old one aside, the state file saying RESTORED.
     */
    private RestoreState crashedAfterTheSwap(RestoreState state, Path snapshot, String initialCluster) throws Exception {
        Path dataDir = etcd.dataDir();
        Path staging = dataDir.resolveSibling(dataDir.getFileName() + ".restoring-" + state.restoreId);
        Etcdctl.run(endpoint, "snapshot", "restore", snapshot.toString(), "--name", AgentTestResource.MEMBER, "--data-dir", staging.toString(),
                "--initial-cluster", initialCluster, "--initial-cluster-token", "restored-" + state.restoreId, "--initial-advertise-peer-urls", peerUrl);
        etcd.stop();
        state.asideDir = dataDir.resolveSibling(dataDir.getFileName() + ".pre-restore-" + state.restoreId).toString();
        Files.move(dataDir, Path.of(state.asideDir));
        Files.move(staging, dataDir);
        states.save(state);
        return state;
    }

    private static RestoreState state(String id, RestoreState.Step step) {
        RestoreState state = new RestoreState();
        state.restoreId = id;
        state.clusterId = AgentTestResource.CLUSTER;
        state.memberName = AgentTestResource.MEMBER;
        state.snapshotId = "snap-" + id;
        state.members = List.of();
        state.initialClusterToken = "restored";
        state.receivedAt = Instant.now();
        state.step = step;
        return state;
    }

    private LifeboatEvent answer(String restoreId, EventType type) {
        List<ConsumerRecord<String, byte[]>> found = TopicProbe.await(kafka, Topics.AGENT_EVENTS, record -> {
            LifeboatEvent event = EventCodec.decode(record).payload();
            return EventType.of(event) == type && restoreId.equals(restoreIdOf(event));
        }, 1, Duration.ofSeconds(60));
        assertEquals(1, found.size(), "one " + type.ceType() + " for restore " + restoreId);
        return EventCodec.decode(found.get(0)).payload();
    }

    /** The MemberRolledBack of a restore that succeeded, or failed ({@code succeeded} false). */
    private MemberRolledBack rolledBack(String restoreId, boolean succeeded) {
        List<ConsumerRecord<String, byte[]>> found = TopicProbe.await(kafka, Topics.AGENT_EVENTS, record -> {
            LifeboatEvent event = EventCodec.decode(record).payload();
            return event instanceof MemberRolledBack answer && answer.restoreId().equals(restoreId) && answer.succeeded() == succeeded;
        }, 1, Duration.ofSeconds(60));
        assertEquals(1, found.size(), "a MemberRolledBack (succeeded " + succeeded + ") for restore " + restoreId);
        return (MemberRolledBack) EventCodec.decode(found.get(0)).payload();
    }

    private static String restoreIdOf(LifeboatEvent event) {
        if (event instanceof MemberRestored e) {
            return e.restoreId();
        }
        if (event instanceof MemberRestoreFailed e) {
            return e.restoreId();
        }
        if (event instanceof MemberRolledBack e) {
            return e.restoreId();
        }
        return null;
    }
}
