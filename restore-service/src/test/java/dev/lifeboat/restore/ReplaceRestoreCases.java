package dev.lifeboat.restore;

import static dev.lifeboat.restore.RestoreTestSupport.put;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberSelfHealed;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.DrillCompleted;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RunDrill;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import io.agroal.api.AgroalDataSource;
import io.etcd.jetcd.Client;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;

/**
 * REPLACE on real etcd members run by real etcd-agents (built jars), with scheduler-service and
 * snapshot-service beside: a one-member and a three-member cluster are backed up, changed, and
 * replaced from the snapshot; every member then serves exactly the snapshot's keyspace, compared key by
 * key on each member alone. A member whose restore fails fails the restore with its reason, and the
 * rollback puts every member's pre-restore data back. Run against each etcd release
 * ({@link ReplaceRestoreIT}: 3.5 with client-certificate TLS, {@link ReplaceRestore34IT}: 3.4).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ReplaceRestoreCases {

    @Inject
    AgroalDataSource db;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;
    @ConfigProperty(name = "test.scheduler.url")
    String schedulerUrl;
    // Looked up when a test runs, not injected: another test class's application (without agents) also
    // validates this class's injection points when it starts.
    protected String solo;
    protected String trio;
    protected String soloMembers;
    protected String trioMembers;
    protected String breakTrio2;
    protected String failSolo0;
    protected String agentsDir;
    /** The stack's etcd release: 3.5 bumps the revision on REPLACE, 3.4 cannot. */
    protected String etcdVersion;

    protected RestoreTestSupport support;

    @BeforeEach
    void setUp() {
        support = new RestoreTestSupport(kafka, schedulerUrl, db);
        RestoreHooks.reset();
        Config config = ConfigProvider.getConfig();
        solo = config.getValue("test.etcd.solo", String.class);
        trio = config.getValue("test.etcd.trio", String.class);
        soloMembers = config.getValue("test.members.solo", String.class);
        trioMembers = config.getValue("test.members.trio", String.class);
        breakTrio2 = config.getValue(ReplaceStackResource.BREAK_TRIO_2, String.class);
        failSolo0 = config.getValue(ReplaceStackResource.FAIL_SOLO_0, String.class);
        agentsDir = config.getValue("test.agents.dir", String.class);
        etcdVersion = config.getValue("local-stack.etcd-version", String.class);
    }

    @Test
    @Order(1)
    void oneMemberIsReplacedByTheSnapshotKeyByKey() throws Exception {
        register("solo", solo, soloMembers);
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/pods/", 150, "v1"));
            put(etcd, Map.of("/other/a", "1", "/other/b", "2"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("solo");
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            put(etcd, numbered("/registry/pods/", 40, "v2"));
            RestoreTestSupport.delete(etcd, "/other/a");
            put(etcd, Map.of("/after/backup", "x"));
            assertNotEquals(snapshotted, everything(etcd));
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"solo\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        RestoreTestSupport.assertPhases(view, "VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING");
        assertEquals("RESTORED", view.getString("members[0].state"));
        if (etcdVersion.equals("3.4")) {
            assertFalse(view.getBoolean("members[0].revisionBumped"), "etcd 3.4 cannot bump the revision");
            assertTrue(view.getString("note").contains("--bump-revision"), "the note says why the revision was not bumped: " + view.getString("note"));
        } else {
            assertTrue(view.getBoolean("members[0].revisionBumped"), "etcdutl " + etcdVersion + " bumps the revision: " + view.prettify());
            assertTrue(view.getLong("members[0].revision") >= 1_000_000_000L, "the member's revision is past the bump: " + view.prettify());
            assertEquals(null, view.getString("note"), "nothing to warn about: " + view.prettify());
        }
        assertEquals(snapshotted.size(), view.getLong("progress.keysTotal"));
        try (Client etcd = RestoreTestSupport.etcd(solo)) {
            assertEquals(snapshotted, everything(etcd), "the member serves exactly the snapshot's keyspace");
        }
        assertFalse(support.paused("solo"));
        assertEquals(List.of("pause " + id, "resume " + id), RestoreHooks.calls(), "the pause and resume hooks ran around the swap");
        RestoreMember command = (RestoreMember) EventCodec.decode(TopicProbe.await(kafka, Topics.AGENT_COMMANDS,
                r -> "solo/solo-0".equals(r.key()), 1, RestoreTestSupport.WAIT).get(0)).payload();
        assertEquals(id, command.restoreId());
        assertEquals("lifeboat-restore-" + id, command.initialClusterToken());
        try (var dirs = Files.list(Path.of(agentsDir))) {
            assertTrue(dirs.anyMatch(dir -> dir.getFileName().toString().startsWith("solo-0.pre-restore-")), "the old data dir is kept");
        }
    }

    @Test
    @Order(2)
    void everyMemberOfAThreeMemberClusterServesTheSnapshot() throws Exception {
        register("trio", trio, trioMembers);
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/secrets/", 120, "s1"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("trio");
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/secrets/", 60, "s2"));
            RestoreTestSupport.delete(etcd, "/registry/secrets/00007");
        }

        String id = RestoreTestSupport.start("{\"cluster\": \"trio\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        assertEquals(List.of("RESTORED", "RESTORED", "RESTORED"), view.getList("members.state"));
        List<Long> revisions = view.getList("members.revision", Long.class);
        assertEquals(1, revisions.stream().distinct().count(), "one revision on every member: " + revisions);
        for (String endpoint : trio.split(",")) {
            try (Client member = RestoreTestSupport.etcd(endpoint)) {
                assertEquals(snapshotted, everything(member), "member at " + endpoint + " serves exactly the snapshot");
            }
        }
        assertFalse(support.paused("trio"));
    }

    @Test
    @Order(3)
    void aMemberThatCannotServeTheRestoredDataFailsTheRestoreAndEveryMemberIsRolledBackAutomatically() throws Exception {
        TreeMap<String, String> before;
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered("/registry/configmaps/", 30, "c1"));
            before = everything(etcd);
        }
        Files.writeString(Path.of(breakTrio2), "break");
        String id;
        JsonPath view;
        try {
            id = RestoreTestSupport.start("{\"cluster\": \"trio\", \"snapshot\": \"" + trioSnapshot() + "\", \"mode\": \"REPLACE\"}");
            view = rolledBackAutomatically(id);
        } finally {
            Files.deleteIfExists(Path.of(breakTrio2));
        }
        String error = view.getString("error");
        assertTrue(error.contains("trio-2: etcd did not serve the restored data"), error);
        assertTrue(error.contains("automatic rollback"), "the error says the members are put back: " + error);
        assertEquals("FAILED", member(view, "trio-2", "state"), view.prettify());
        assertTrue(member(view, "trio-2", "rollbackReason").contains("the data dir it replaced is kept at"), view.prettify());
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"), "the cluster is resumed after the automatic rollback");
        try (var dirs = Files.list(Path.of(agentsDir))) {
            assertTrue(dirs.anyMatch(dir -> dir.getFileName().toString().matches("trio-2\\.replaced-by-rollback-.*")),
                    "the broken data dir the rollback replaced is set aside, not deleted");
        }
        given().post("/api/v1/restores/" + id + "/rollback").then().statusCode(202).body("rollback.state", equalTo("ROLLED_BACK"));
    }

    /**
     * A kubeadm member: the kubelet (a stand-in that runs static pod manifests as processes) runs etcd and the API server;
     * the agent stops them by moving their manifests aside (the API server first), swaps the data dir, puts etcd's back,
     * and the API server's only once etcd serves the snapshot. The rollback goes through the kubelet the same way.
     */
    @Test
    @Order(2)
    void aStaticPodMemberIsReplacedThroughTheKubeletWithTheApiServerStoppedMeanwhile() throws Exception {
        Config config = ConfigProvider.getConfig();
        String kube = config.getValue("test.etcd.kube", String.class);
        Path manifests = Path.of(config.getValue("test.kube.manifests", String.class));
        dev.lifeboat.stack.KubeletStandIn kubelet = ReplaceStackResource.kubelet();
        register("kube", kube, config.getValue("test.members.kube", String.class));
        TreeMap<String, String> snapshotted;
        try (Client etcd = RestoreTestSupport.etcd(kube)) {
            put(etcd, numbered("/registry/configmaps/", 120, "v1"));
            snapshotted = everything(etcd);
        }
        SnapshotCompleted snapshot = support.backUp("kube");
        TreeMap<String, String> changed;
        try (Client etcd = RestoreTestSupport.etcd(kube)) {
            put(etcd, numbered("/registry/configmaps/", 30, "v2"));
            put(etcd, Map.of("/registry/secrets/after-backup", "x"));
            changed = everything(etcd);
        }
        long etcdPid = kubelet.pid("etcd.yaml");
        long apiServerPid = kubelet.pid("kube-apiserver.yaml");
        assertTrue(etcdPid > 0 && apiServerPid > 0, "the kubelet runs both pods: " + kubelet.events());
        int eventsBefore = kubelet.events().size();

        String id = RestoreTestSupport.start("{\"cluster\": \"kube\", \"snapshot\": \"" + snapshot.snapshotId() + "\", \"mode\": \"REPLACE\"}");
        JsonPath view = RestoreTestSupport.awaitEnd(id);

        assertEquals("COMPLETED", view.getString("phase"), view.prettify());
        try (Client etcd = RestoreTestSupport.etcd(kube)) {
            assertEquals(snapshotted, everything(etcd), "the kubelet's etcd serves exactly the snapshot's keyspace");
        }
        List<String> order = kubeletSteps(kubelet, eventsBefore, etcdPid, apiServerPid);
        assertEquals(List.of("kube-apiserver.yaml stopped", "etcd.yaml stopped", "etcd.yaml started", "kube-apiserver.yaml started"), order,
                "the API server stops before etcd and starts after it: " + kubelet.events());
        assertTrue(Files.exists(manifests.resolve("etcd.yaml")) && Files.exists(manifests.resolve("kube-apiserver.yaml")),
                "both manifests are back where the kubelet reads them");
        awaitPid(kubelet, "kube-apiserver.yaml");
        try (var aside = Files.list(Path.of(agentsDir, "kube-0.agent", "manifests-aside"))) {
            assertEquals(List.of(), aside.map(path -> path.getFileName().toString()).toList(), "nothing is left aside");
        }

        int eventsBeforeRollback = kubelet.events().size();
        long restoredEtcdPid = kubelet.pid("etcd.yaml");
        long restoredApiServerPid = kubelet.pid("kube-apiserver.yaml");
        given().post("/api/v1/restores/" + id + "/rollback").then().statusCode(202);
        JsonPath rolledBack = awaitRollback(id);
        assertEquals("ROLLED_BACK", rolledBack.getString("rollback.state"), rolledBack.prettify());
        try (Client etcd = RestoreTestSupport.etcd(kube)) {
            assertEquals(changed, everything(etcd), "the rollback brings back the data the REPLACE replaced");
        }
        assertEquals(List.of("kube-apiserver.yaml stopped", "etcd.yaml stopped", "etcd.yaml started", "kube-apiserver.yaml started"),
                kubeletSteps(kubelet, eventsBeforeRollback, restoredEtcdPid, restoredApiServerPid), "the rollback stops and starts them the same way: "
                        + kubelet.events());
    }

    /** The kubelet's starts and stops since event {@code from}, in order; the stops of the pods that ran before, the first start of each. */
    private static List<String> kubeletSteps(dev.lifeboat.stack.KubeletStandIn kubelet, int from, long etcdPid, long apiServerPid) throws Exception {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (true) {
            List<dev.lifeboat.stack.KubeletStandIn.Event> events = kubelet.events();
            List<String> steps = new java.util.ArrayList<>();
            java.util.Set<String> started = new java.util.HashSet<>();
            for (dev.lifeboat.stack.KubeletStandIn.Event event : events.subList(from, events.size())) {
                boolean oldPod = event.pid() == etcdPid || event.pid() == apiServerPid;
                if (event.what().equals("stopped") && oldPod || event.what().equals("started") && started.add(event.manifest())) {
                    steps.add(event.manifest() + " " + event.what());
                }
            }
            if (steps.size() >= 4 || Instant.now().isAfter(deadline)) {
                return steps;
            }
            Thread.sleep(200);
        }
    }

    private static void awaitPid(dev.lifeboat.stack.KubeletStandIn kubelet, String manifest) throws InterruptedException {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (kubelet.pid(manifest) < 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertTrue(kubelet.pid(manifest) > 0, manifest + " runs again: " + kubelet.events());
    }

    /** All or nothing: an etcd restore tool that fails on one member of three puts the two that restored back too. */
    @Test
    @Order(10)
    void aRestoreToolFailureOnOneMemberRollsEveryMemberBack() throws Exception {
        TreeMap<String, String> before = writeToTrio("/registry/leases/", "t1");
        JsonPath view = rolledBackWhileFlagged(trioSnapshot(), "fail-trio-1");
        String reason = member(view, "trio-1", "reason");
        assertTrue(reason.contains("restore tool failure injected by the test") && reason.contains("the member's data was not changed"), reason);
        assertEquals("NOT_NEEDED", member(view, "trio-1", "rollbackState"), "trio-1 had its data, so no rollback was sent to it: " + view.prettify());
        assertTrue(view.getString("error").contains("trio-1: "), view.getString("error"));
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"));
    }

    /**
     * Two members of three fail: the third cannot reach a quorum on the restored data. It stops when the saga fails
     * (it hears the restore's FAILED) instead of waiting out the member timeout, and is rolled back with the rest.
     */
    @Test
    @Order(11)
    void whenTwoMembersFailTheThirdStopsWaitingForQuorumAndIsRolledBack() throws Exception {
        TreeMap<String, String> before = writeToTrio("/registry/events/", "t2");
        JsonPath view = rolledBackWhileFlagged(trioSnapshot(), "fail-trio-1", "fail-trio-2");
        String reason = member(view, "trio-0", "reason");
        assertEquals("FAILED", member(view, "trio-0", "state"), view.prettify());
        assertTrue(reason.contains("failed on another member"), "trio-0 stopped because the restore failed elsewhere: " + reason);
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"));
    }

    /** An etcd-agent killed (SIGKILL) while it prepares the restore: restarted, it undoes its step, and every member is put back. */
    @Test
    @Order(12)
    void anAgentKilledDuringTheRestoreLeavesEveryMemberOnItsPreRestoreData() throws Exception {
        TreeMap<String, String> before = writeToTrio("/registry/nodes/", "t3");
        Path slow = Path.of(agentsDir, "slow-trio-1");
        Path restoring = Path.of(agentsDir, "restoring-trio-1");
        Files.deleteIfExists(restoring);
        Files.writeString(slow, "slow");
        String id;
        try {
            id = startTrioReplace(trioSnapshot());
            Instant deadline = Instant.now().plusSeconds(60);
            while (!Files.exists(restoring) && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(restoring), "trio-1's agent started its restore tool");
            ReplaceStackResource.agents("trio").kill(1);
        } finally {
            Files.deleteIfExists(slow);
        }
        ReplaceStackResource.agents("trio").restart(1);
        JsonPath view = rolledBackAutomatically(id);
        String reason = member(view, "trio-1", "reason");
        assertTrue(reason.contains("the etcd-agent stopped during step PREPARING") && reason.contains("the member's data was not changed"), reason);
        assertEquals("NOT_NEEDED", member(view, "trio-1", "rollbackState"), "trio-1 had its data, so no rollback was sent to it: " + view.prettify());
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"));
    }

    /** trio-1's disk is full: its agent cannot write the snapshot, says so, and every member is put back. */
    @Test
    @Order(13)
    void aFullDiskOnOneMemberLeavesEveryMemberOnItsPreRestoreData() throws Exception {
        String smallFs = ConfigProvider.getConfig().getValue(ReplaceStackResource.SMALL_FS, String.class);
        assertFalse(smallFs.startsWith("unavailable"), "the test needs a small filesystem for trio-1: " + smallFs);
        byte[] noise = new byte[16 * 1024];
        Map<String, String> large = new LinkedHashMap<>();
        java.util.Random random = new java.util.Random(13);
        for (int i = 0; i < 64; i++) {
            random.nextBytes(noise);
            large.put("/registry/large/" + i, java.util.Base64.getEncoder().encodeToString(noise));
        }
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, large);
        }
        String snapshot = support.backUp("trio").snapshotId();
        TreeMap<String, String> before = writeToTrio("/registry/after-backup/", "t4");
        Path filler = Path.of(smallFs, "filler");
        try {
            fill(filler, 256 * 1024);
            JsonPath view = rolledBackAutomatically(startTrioReplace(snapshot));
            String reason = member(view, "trio-1", "reason");
            assertTrue(reason.contains("No space left on device") && reason.contains("the member's data was not changed"), reason);
            assertEquals("NOT_NEEDED", member(view, "trio-1", "rollbackState"), "trio-1 had its data, so no rollback was sent to it: " + view.prettify());
        } finally {
            Files.deleteIfExists(filler);
        }
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"));
    }

    /**
     * Self-healing (cluster {@code heal}, its agent with {@code lifeboat.agent.self-heal}): the member's disk is lost — etcd and
     * its agent killed, the data dir deleted. Restarted, the agent refuses to start etcd empty and restores the member from
     * the cluster's newest snapshot by itself (the writes after it are lost with the disk), sets the refused dir aside and
     * reports MemberSelfHealed. Then an older copy of its disk put back (its database behind the newest backup taken from
     * it: writes lost): refused, and healed from the newest snapshot. Then a fresh volume (the agent's state dir gone too, so no record that the member served):
     * the catalog has backups of the cluster, so the member is restored from the newest, not started as a new empty cluster.
     */
    @Test
    @Order(14)
    void aOneMemberClusterThatLostItsDiskIsHealedFromItsNewestSnapshotByItsAgent() throws Exception {
        String heal = ConfigProvider.getConfig().getValue("test.etcd.heal", String.class);
        register("heal", heal, ConfigProvider.getConfig().getValue("test.members.heal", String.class));
        Path dataDir = Path.of(agentsDir, "heal-0");

        TreeMap<String, String> backedUp = writeMixed(heal, "/registry/secrets/", 1);
        String first = support.backUp("heal").snapshotId();
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            put(etcd, numbered("/registry/after-backup/", 20, "lost"));
        }
        loseDisk(dataDir, false);
        ReplaceStackResource.agents("heal").restart(0);
        assertEquals(backedUp, awaitServes(heal, backedUp), "the member serves its newest snapshot; the writes after it went with the disk");
        MemberSelfHealed healed = awaitSelfHealed(first);
        assertTrue(healed.succeeded(), healed.toString());
        assertTrue(healed.refusal().contains("has no database (member/snap/db)"), healed.refusal());
        assertTrue(healed.revision() >= healed.snapshotRevision(), healed.toString());
        assertTrue(healed.keptAt() != null && Files.isDirectory(Path.of(healed.keptAt())), "the refused data dir is set aside: " + healed.keptAt());

        // An older copy of the disk: its database is behind the newest backup taken from it, so etcd is not started on it.
        stopMember(dataDir);
        Path oldCopy = dataDir.resolveSibling("heal-0.old-copy");
        copyTree(dataDir, oldCopy);
        ReplaceStackResource.agents("heal").restart(0);
        TreeMap<String, String> later = writeMixed(heal, "/registry/pods/", 3);
        String afterCopy = support.backUp("heal").snapshotId();
        stopMember(dataDir);
        deleteTree(dataDir);
        Files.move(oldCopy, dataDir);
        ReplaceStackResource.agents("heal").restart(0);
        assertEquals(later, awaitServes(heal, later), "the member serves the newest snapshot, not the older copy of its disk");
        MemberSelfHealed older = awaitSelfHealed(afterCopy);
        assertTrue(older.succeeded(), older.toString());
        assertTrue(older.refusal().contains("older than snapshot " + afterCopy) && older.refusal().contains("writes were lost"), older.refusal());

        TreeMap<String, String> second = writeMixed(heal, "/registry/configmaps/", 2);
        String newest = support.backUp("heal").snapshotId();
        loseDisk(dataDir, true);
        ReplaceStackResource.agents("heal").restart(0);
        assertEquals(second, awaitServes(heal, second), "a fresh volume under a cluster with backups is restored from the newest");
        MemberSelfHealed again = awaitSelfHealed(newest);
        assertTrue(again.succeeded(), again.toString());
        assertTrue(again.refusal().contains("has backups (newest: snapshot " + newest), again.refusal());
    }

    /**
     * Restore drills of the heal cluster, asked for over REST and run by its agent against the stack's etcd release: the
     * stored object fetched through snapshot-service (decrypted, decompressed) restores into a scratch etcd whose HashKV
     * and key count at the revision equal what the source member gave at backup time (PASSED, with the measured times).
     * An expectation that differs, another valid snapshot's object swapped in under the snapshot's name, and a byte
     * flipped inside the encrypted object each fail the drill with a reason that says so. The member is untouched and
     * no drill leaves anything.
     */
    @Test
    @Order(15)
    void aDrillProvesASnapshotRestorableAndFindsADamagedOrDifferentOne() throws Exception {
        String heal = registerHeal();
        TreeMap<String, String> backedUp = writeMixed(heal, "/registry/drill/", 11);
        SnapshotCompleted snapshot = support.backUp("heal");
        SnapshotCompleted.KeyspaceFingerprint recorded = snapshot.keyspace();
        assertTrue(recorded != null && recorded.keys() >= 100, "the backup recorded the keyspace's fingerprint: " + recorded);
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            put(etcd, numbered("/registry/drill-after/", 10, "later"));
        }

        String good = given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"" + snapshot.snapshotId() + "\"}")
                .post("/api/v1/drills").then().statusCode(202).body("state", equalTo("RUNNING")).body("member", equalTo("heal-0"))
                .extract().path("id");
        given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\"}").post("/api/v1/drills").then().statusCode(409)
                .body("error", containsString("drill " + good + " of cluster 'heal' is running"));
        JsonPath passed = RestoreTestSupport.awaitDrill(good);
        assertEquals("PASSED", passed.getString("state"), passed.prettify());
        assertEquals(recorded.hash(), passed.getLong("expectedHash"));
        assertEquals(recorded.hash(), passed.getLong("observedHash"), "the scratch etcd's HashKV at the revision is the source's");
        assertEquals(recorded.keys(), passed.getLong("observedKeys"));
        assertTrue(passed.getBoolean("hashCompared"));
        assertTrue(passed.getInt("sampledKeys") > 0 && passed.getInt("sampledKeys") <= 100, "a sample was read back: " + passed.prettify());
        assertEquals(snapshot.rawSize(), passed.getLong("times.dbBytes"));
        assertTrue(passed.getLong("times.restoreMillis") > 0 && passed.getLong("times.startMillis") > 0
                && passed.getLong("times.recoveryMillis") >= passed.getLong("times.fetchMillis") + passed.getLong("times.startMillis"), passed.prettify());
        assertTrue(passed.getString("etcdVersion").startsWith(etcdVersion), "the member's own etcd ran it: " + passed.getString("etcdVersion"));
        assertEquals(1, support.count("select count(*) from drill where id = ? and state = 'PASSED' and observed_hash = expected_hash", good));
        assertTrue(given().get("/q/metrics").then().statusCode(200).extract().asString()
                .contains("lifeboat_snapshot_last_verified_timestamp_seconds{cluster=\"heal\"}"), "the verified time is a metric");

        JsonPath catalogued = RestoreTestSupport.awaitCatalog(snapshot.snapshotId(), good);
        assertEquals("PASSED", catalogued.getString("drill.verdict"), "the catalog records the verdict (DrillEnded): " + catalogued.prettify());
        assertTrue(catalogued.getString("verifiedAt") != null, catalogued.prettify());

        // The agent compares what it is told to expect: a fingerprint that differs fails at verify.
        String different = "drill-different-" + System.nanoTime();
        TestEvents.publish(kafka, "test", new RunDrill(different, "heal", "heal-0", snapshot.snapshotId(), snapshot.revision(),
                snapshot.rawSha256(), snapshot.rawSize(), new SnapshotCompleted.KeyspaceFingerprint((recorded.hash() + 1) & 0xffffffffL,
                        recorded.compactRevision(), recorded.keys()), null));
        DrillFailed mismatch = (DrillFailed) awaitAgentVerdict(different);
        assertEquals("verify", mismatch.stage(), mismatch.toString());
        assertTrue(mismatch.reason().contains("hashes to " + recorded.hash()) && mismatch.reason().contains("differ from what was backed up"),
                mismatch.reason());

        io.minio.MinioClient s3 = RestoreTestSupport.s3();
        byte[] stored = RestoreTestSupport.readObject(s3, snapshot.bucket(), snapshot.objectKey());

        // Another valid snapshot of the cluster (the later writes included) put in under this snapshot's name.
        SnapshotCompleted later = support.backUp("heal");
        RestoreTestSupport.writeObject(s3, snapshot.bucket(), snapshot.objectKey(), RestoreTestSupport.readObject(s3, later.bucket(), later.objectKey()));
        JsonPath swapped = RestoreTestSupport.awaitDrill(requestDrill(snapshot.snapshotId()));
        assertEquals("FAILED", swapped.getString("state"), swapped.prettify());
        assertEquals("fetch", swapped.getString("stage"));
        assertTrue(swapped.getString("reason").contains("snapshot " + snapshot.snapshotId()) && swapped.getString("reason").contains(
                "changed or damaged after the backup"), swapped.getString("reason"));

        // One byte flipped inside the encrypted object: decryption refuses it, and snapshot-service says so.
        stored[stored.length / 2] ^= 0x40;
        RestoreTestSupport.writeObject(s3, snapshot.bucket(), snapshot.objectKey(), stored);
        String damagedId = requestDrill(snapshot.snapshotId());
        JsonPath damaged = RestoreTestSupport.awaitDrill(damagedId);
        assertEquals("FAILED", damaged.getString("state"), damaged.prettify());
        assertEquals("fetch", damaged.getString("stage"));
        assertTrue(damaged.getString("reason").contains("snapshot " + snapshot.snapshotId()) && damaged.getString("reason").contains(
                "cannot be read back from its stored object"), damaged.getString("reason"));
        JsonPath failedInCatalog = RestoreTestSupport.awaitCatalog(snapshot.snapshotId(), damagedId);
        assertEquals("FAILED", failedInCatalog.getString("drill.verdict"), failedInCatalog.prettify());
        assertTrue(failedInCatalog.getString("drill.reason").contains("cannot be read back"), failedInCatalog.prettify());
        assertEquals(catalogued.getString("verifiedAt"), failedInCatalog.getString("verifiedAt"), "verifiedAt stays the last drill that passed");
        assertEquals(List.of(good), given().get("/api/v1/drills?cluster=heal").then().statusCode(200).extract().jsonPath()
                .getList("findAll { it.state == 'PASSED' }.id"), "the list shows the one that passed among those that failed");

        TreeMap<String, String> now = new TreeMap<>(backedUp);
        now.putAll(numbered("/registry/drill-after/", 10, "later"));
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            assertEquals(now, everything(etcd), "the member serves what it served, untouched by the drills");
        }
        try (var left = Files.list(Path.of(agentsDir, "heal-0.drills"))) {
            assertEquals(List.of(), left.toList(), "no drill left a directory or a scratch etcd behind");
        }
    }

    /** Bad drill requests are refused with the field at fault, and nothing is stored. */
    @Test
    @Order(16)
    void badDrillRequestsAreRefused() throws Exception {
        registerHeal();
        int before = support.count("select count(*) from drill where cluster_id = ?", "heal");
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/drills").then().statusCode(400).body("field", equalTo("cluster"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"nowhere\"}").post("/api/v1/drills").then().statusCode(404)
                .body("error", containsString("'nowhere' is not registered"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"no-such-snapshot\"}").post("/api/v1/drills")
                .then().statusCode(404).body("field", equalTo("snapshot"));
        given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"../../etc\"}").post("/api/v1/drills")
                .then().statusCode(400);
        given().get("/api/v1/drills/unknown-drill").then().statusCode(404);
        assertEquals(before, support.count("select count(*) from drill where cluster_id = ?", "heal"), "a refused drill stores nothing");
    }

    /**
     * An etcd-agent killed (SIGKILL) in the middle of a drill, its scratch etcd running: restarted, it stops that etcd
     * and removes the directory; the attempt's deadline sends the drill again, and it passes.
     */
    @Test
    @Order(17)
    void aDrillInterruptedByAnAgentCrashLeavesNothingAndIsRetried() throws Exception {
        registerHeal();
        SnapshotCompleted snapshot = support.backUp("heal");
        String id = requestDrill(snapshot.snapshotId());
        Path pidFile = Path.of(agentsDir, "heal-0.drills", id, "etcd.pid");
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (!Files.exists(pidFile) && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(pidFile), "the drill started its scratch etcd");
        long scratch = Long.parseLong(Files.readString(pidFile).strip());
        ReplaceStackResource.agents("heal").kill(0);
        assertTrue(ProcessHandle.of(scratch).map(ProcessHandle::isAlive).orElse(false), "the crash left the scratch etcd running");
        // The agent stays down past the attempt's deadline (lifeboat.restore.drill.timeout in the test profile): the drill
        // is sent again, and the restarted agent finds both commands (it runs the drill id once at a time).
        JsonPath waiting = given().get("/api/v1/drills/" + id).then().statusCode(200).extract().jsonPath();
        while (waiting.getInt("attempts") < 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            waiting = given().get("/api/v1/drills/" + id).then().statusCode(200).extract().jsonPath();
        }
        assertEquals("RUNNING", waiting.getString("state"), waiting.prettify());
        assertEquals(2, waiting.getInt("attempts"), "the deadline sent the drill again: " + waiting.prettify());
        ReplaceStackResource.agents("heal").restart(0);
        assertFalse(ProcessHandle.of(scratch).map(ProcessHandle::isAlive).orElse(false), "the restarted agent stopped the leftover scratch etcd");
        // The restarted agent has its partitions back at once, so the drill may already run again in a directory of the
        // same name: no leftover of the interrupted run is in it (its own scratch etcd, if any, is a new one), and once
        // the drill ended the directory is gone (below). A sweep after the new run started would fail the drill.
        try {
            assertNotEquals(String.valueOf(scratch), Files.readString(pidFile).strip(), "the interrupted drill's pid file was removed");
        } catch (java.nio.file.NoSuchFileException gone) {
            // removed, and no new run has started its etcd yet
        }

        JsonPath retried = RestoreTestSupport.awaitDrill(id);
        assertEquals("PASSED", retried.getString("state"), retried.prettify());
        // 2, or 3 when the restarted agent (JVM start, sweep, then the drill) took longer than the second attempt's 25 s on a
        // loaded machine: each late attempt is sent again, and the agent runs the drill id once.
        assertTrue(retried.getInt("attempts") >= 2 && retried.getInt("attempts") <= 3, retried.prettify());
        assertTrue(retried.getString("note").contains("sent again"), retried.getString("note"));
        try (var left = Files.list(Path.of(agentsDir, "heal-0.drills"))) {
            assertEquals(List.of(), left.toList(), "the retry left nothing either");
        }
    }

    /**
     * A REPLACE with {@code drillFirst}: of a snapshot whose stored object was damaged after the backup, the drill fails and
     * the restore FAILS in VALIDATING naming it — nothing paused, the member untouched; of a good snapshot, the drill passes
     * first and the REPLACE completes with a note that says so.
     */
    @Test
    @Order(18)
    void aReplaceWithDrillFirstRunsOnlyOnASnapshotADrillProvedRestorable() throws Exception {
        String heal = registerHeal();
        given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"mode\": \"API\", \"drillFirst\": true}").post("/api/v1/restores")
                .then().statusCode(400).body("field", equalTo("drillFirst"));

        TreeMap<String, String> served = writeMixed(heal, "/registry/drill-first/", 21);
        SnapshotCompleted damaged = support.backUp("heal");
        io.minio.MinioClient s3 = RestoreTestSupport.s3();
        byte[] stored = RestoreTestSupport.readObject(s3, damaged.bucket(), damaged.objectKey());
        stored[stored.length / 3] ^= 0x01;
        RestoreTestSupport.writeObject(s3, damaged.bucket(), damaged.objectKey(), stored);
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            served = everything(etcd);
        }

        String refused = given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"" + damaged.snapshotId()
                + "\", \"mode\": \"REPLACE\", \"drillFirst\": true}").post("/api/v1/restores").then().statusCode(202)
                .body("drillFirst", equalTo(true)).extract().path("id");
        JsonPath failed = RestoreTestSupport.awaitEnd(refused);
        assertEquals("FAILED", failed.getString("phase"), failed.prettify());
        assertTrue(failed.getString("error").contains("drill restore-" + refused + " found snapshot " + damaged.snapshotId() + " not restorable (fetch)")
                && failed.getString("error").contains("nothing was paused or replaced"), failed.getString("error"));
        assertEquals(List.of("VALIDATING"), List.copyOf(failed.getMap("phases").keySet()), "it never got past VALIDATING");
        assertFalse(support.paused("heal"), "the cluster was never paused");
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            assertEquals(served, everything(etcd), "the member serves what it served");
        }

        SnapshotCompleted good = support.backUp("heal");
        String replaced = given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"" + good.snapshotId()
                + "\", \"mode\": \"REPLACE\", \"drillFirst\": true}").post("/api/v1/restores").then().statusCode(202).extract().path("id");
        JsonPath completed = RestoreTestSupport.awaitEnd(replaced);
        assertEquals("COMPLETED", completed.getString("phase"), completed.prettify());
        assertTrue(completed.getString("note").contains("drill restore-" + replaced + " proved snapshot " + good.snapshotId() + " restorable first"),
                completed.getString("note"));
        assertEquals(1, support.count("select count(*) from drill where id = ? and state = 'PASSED'", "restore-" + replaced));
        try (Client etcd = RestoreTestSupport.etcd(heal)) {
            assertEquals(served, everything(etcd), "the member serves the snapshot");
        }
    }

    /**
     * Drills asked for over Kafka: a runbook's DrillRequested runs once however often it is sent, one for a cluster nobody
     * registered is refused and stores nothing, and the scheduler's DRILL policy fires drills of the newest full snapshot
     * on its own — each a real drill on the agent, its verdict in the catalog.
     */
    @Test
    @Order(19)
    void drillsAskedForOverKafkaAndByADrillPolicyRun() throws Exception {
        registerHeal();
        SnapshotCompleted snapshot = support.backUp("heal");
        awaitNoRunningDrill();
        String runbook = "runbook-drill-" + Long.toHexString(System.nanoTime());
        DrillRequested request = new DrillRequested(runbook, "heal", snapshot.snapshotId(), "runbook nightly-check", Instant.now());
        TestEvents.publish(kafka, "runbook", request);
        TestEvents.publish(kafka, "runbook", request);
        TestEvents.publish(kafka, "runbook", new DrillRequested("drill-of-nobody", "nowhere", null, "runbook", Instant.now()));
        JsonPath passed = RestoreTestSupport.awaitDrill(awaitRow(runbook));
        assertEquals("PASSED", passed.getString("state"), passed.prettify());
        assertEquals("runbook nightly-check", passed.getString("requester"));
        assertEquals(snapshot.snapshotId(), passed.getString("snapshot"));
        assertEquals(1, support.count("select count(*) from drill where id = ?", runbook), "sent twice, run once");
        assertEquals(0, support.count("select count(*) from drill where cluster_id = ?", "nowhere"), "a refused request stores nothing");
        Instant counted = Instant.now().plus(RestoreTestSupport.WAIT);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        while (!metrics.contains("lifeboat_drill_requests_refused_total{status=\"404\"}") && Instant.now().isBefore(counted)) {
            Thread.sleep(200);
            metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        }
        assertTrue(metrics.contains("lifeboat_drill_requests_refused_total{status=\"404\"}"), "the refusal is counted");

        int before = support.count("select count(*) from drill where cluster_id = ? and requester = ?", "heal", "policy nightly-drill");
        given().baseUri(schedulerUrl).contentType(ContentType.JSON).body("{\"id\": \"nightly-drill\", \"schedule\": \"@every 3s\", \"kind\": \"DRILL\"}")
                .post("/api/v1/clusters/heal/policies").then().statusCode(201).body("kind", equalTo("DRILL"));
        String fired;
        try {
            Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
            List<String> ids = support.ids("select id from drill where cluster_id = ? and requester = ? order by created_at", "heal", "policy nightly-drill");
            while (ids.size() <= before && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
                ids = support.ids("select id from drill where cluster_id = ? and requester = ? order by created_at", "heal", "policy nightly-drill");
            }
            assertTrue(ids.size() > before, "the DRILL policy fired a drill");
            fired = ids.get(ids.size() - 1);
        } finally {
            given().baseUri(schedulerUrl).delete("/api/v1/clusters/heal/policies/nightly-drill").then().statusCode(204);
        }
        assertTrue(fired.matches("policy-heal-nightly-drill-\\d+"), fired);
        JsonPath scheduled = RestoreTestSupport.awaitDrill(fired);
        assertEquals("PASSED", scheduled.getString("state"), scheduled.prettify());
        // the newest full snapshot: ours, or one the scheduler took after an earlier test's restore that completed later
        String newest = support.ids("select id from snapshot where cluster_id = ? and kind = 'FULL' and not deleted order by completed_at desc limit 1",
                "heal").get(0);
        assertEquals(newest, scheduled.getString("snapshot"), "a DRILL policy drills the newest full snapshot");
        JsonPath catalogued = awaitCatalogPassed(newest);
        assertEquals("PASSED", catalogued.getString("drill.verdict"), catalogued.prettify());
        awaitNoRunningDrill();
        try (var left = Files.list(Path.of(agentsDir, "heal-0.drills"))) {
            assertEquals(List.of(), left.toList(), "no drill left anything behind");
        }
    }

    /**
     * An etcd-agent whose disk cannot take a drill and keep its reserve free does not run it: the attempt is sent on at once
     * (not at its deadline), and the drill ends at stage timeout — which says nothing of the snapshot — naming why.
     */
    @Test
    @Order(20)
    void aDrillNoAgentHasRoomForEndsNamingTheDisk() throws Exception {
        registerHeal();
        SnapshotCompleted snapshot = support.backUp("heal");
        awaitNoRunningDrill();
        var agents = ReplaceStackResource.agents("heal");
        agents.kill(0);
        agents.restart(0, Map.of("lifeboat.agent.drill-keep-free", "100000G"));
        try {
            String id = requestDrill(snapshot.snapshotId());
            JsonPath ended = RestoreTestSupport.awaitDrill(id);
            assertEquals("FAILED", ended.getString("state"), ended.prettify());
            assertEquals("timeout", ended.getString("stage"), "no room says nothing of the snapshot");
            assertTrue(ended.getString("reason").contains("did not run it: no room") && ended.getString("reason").contains("drill-keep-free"),
                    ended.getString("reason"));
            assertEquals(3, ended.getInt("attempts"), "every attempt was made");
            try (var left = Files.list(Path.of(agentsDir, "heal-0.drills"))) {
                assertEquals(List.of(), left.toList(), "nothing was fetched");
            }
        } finally {
            agents.kill(0);
            agents.restart(0);
        }
    }

    /**
     * Each new full snapshot drilled: a DRILL policy with {@code drillSnapshot: undrilled}, firing often, drills the cluster's
     * full snapshots of the last 24 h that no drill judged yet, oldest first, each once, until none is left; then there is
     * nothing to drill.
     */
    @Test
    @Order(21)
    void aDrillPolicyForEachNewFullSnapshotDrillsEveryOneOnce() throws Exception {
        registerHeal();
        SnapshotCompleted newest = support.backUp("heal");
        awaitNoRunningDrill();
        String undrilled = """
                select count(*) from snapshot s where s.cluster_id = ? and s.kind = 'FULL' and not s.deleted and not s.missing
                and s.completed_at >= now() - interval '24 hours' and not exists (select 1 from drill d where d.snapshot_id = s.id
                and d.delta_ids is null and (d.state = 'PASSED' or (d.state = 'FAILED' and d.stage <> 'timeout')))""";
        assertTrue(support.count(undrilled, "heal") >= 1, "the new backup waits for its drill");
        int before = support.count("select count(*) from drill where cluster_id = ? and requester = ?", "heal", "policy each-full");
        given().baseUri(schedulerUrl).contentType(ContentType.JSON).body("{\"id\": \"each-full\", \"schedule\": \"@every 2s\", \"kind\": \"DRILL\", "
                + "\"drillSnapshot\": \"undrilled\"}").post("/api/v1/clusters/heal/policies").then().statusCode(201)
                .body("drillSnapshot", equalTo("undrilled"));
        try {
            Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT.multipliedBy(3));
            while ((support.count(undrilled, "heal") > 0 || support.count("select count(*) from drill where cluster_id = ? and state = 'RUNNING'",
                    "heal") > 0) && Instant.now().isBefore(deadline)) {
                Thread.sleep(500);
            }
            assertEquals(0, support.count(undrilled, "heal"), "every full snapshot of the last 24 h has a verdict");
        } finally {
            given().baseUri(schedulerUrl).delete("/api/v1/clusters/heal/policies/each-full").then().statusCode(204);
        }
        awaitNoRunningDrill();
        List<String> drilled = support.ids("select d.snapshot_id from drill d join snapshot s on s.id = d.snapshot_id where d.cluster_id = ? "
                + "and d.requester = ? order by d.created_at", "heal", "policy each-full");
        assertTrue(drilled.size() > before && drilled.contains(newest.snapshotId()), "the policy drilled the new backup: " + drilled);
        assertEquals(drilled.size(), drilled.stream().distinct().count(), "no snapshot was drilled twice: " + drilled);
        List<String> oldestFirst = support.ids("select d.snapshot_id from drill d join snapshot s on s.id = d.snapshot_id where d.cluster_id = ? "
                + "and d.requester = ? order by s.completed_at", "heal", "policy each-full");
        assertEquals(oldestFirst, drilled, "oldest first");
        given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"undrilled\"}").post("/api/v1/drills").then()
                .statusCode(404).body("field", equalTo("snapshot")).body("error", containsString("nothing to drill"));
    }

    /**
     * An etcd-agent that was down while a REPLACE failed hears its RestoreMember only after the saga ended the restore.
     * Its peers are put back, so a quorum for the restored data never comes: the agent must not wait for one until the
     * command expires (the member timeout, 120 s here) while the rollback waits for it. Depending on whether it hears
     * the restore's FAILED before or after it runs the command, it leaves its data alone or stops and is rolled back;
     * either way it says why, the rollback ends well within the member timeout and every member serves its
     * pre-restore data.
     */
    @Test
    @Order(22)
    void anAgentThatHearsItsCommandAfterTheRestoreFailedDoesNotHoldUpTheRollback() throws Exception {
        TreeMap<String, String> before = writeToTrio("/registry/late/", "t22");
        Path fail = Path.of(agentsDir, "fail-trio-1");
        String id;
        ReplaceStackResource.agents("trio").kill(0);
        try {
            Files.writeString(fail, "on");
            id = startTrioReplace(trioSnapshot());
            JsonPath failed = RestoreTestSupport.awaitEnd(id);
            assertEquals("FAILED", failed.getString("phase"), failed.prettify());
            assertEquals("COMMANDED", member(failed, "trio-0", "state"), "trio-0's agent is down: " + failed.prettify());
        } finally {
            Files.deleteIfExists(fail);
            ReplaceStackResource.agents("trio").restart(0);
        }
        // awaitRollback gives up after 90 s, before trio-0's command expires: a rollback that waited for it stays REQUESTED.
        JsonPath view = awaitRollback(id);
        assertEquals("ROLLED_BACK", view.getString("rollback.state"), view.prettify());
        String reason = member(view, "trio-0", "reason");
        // The restarted agent reads the FAILED before it runs the command (RestoreEventsGate): refused, never swapped.
        assertTrue(reason != null && reason.contains("had already failed when its command reached the etcd-agent of member trio-0"),
                "trio-0 refused the command because the restore had failed: " + view.prettify());
        assertEveryMemberHasItsDataBack(view, id);
        assertEveryTrioMemberServes(before);
        assertFalse(support.paused("trio"));
    }

    /**
     * trio-0's agent read a restore's FAILED and committed it, then was killed and restarted: the set of failed
     * restores it kept in memory is gone. It reads the restore events of the last restore-events-look-back again when it
     * starts, so a late command of that restore is refused, naming why, and the member is left as it was. Without the
     * look-back the agent would try to run it (here: it would fail to fetch a snapshot that does not exist).
     */
    @Test
    @Order(23)
    void anAgentRestartedAfterItHeardARestoreFailStillRefusesThatRestoresLateCommand() throws Exception {
        TreeMap<String, String> before = writeToTrio("/registry/relearn/", "t23");
        String id = "relearn-" + UUID.randomUUID();
        RecordMetadata failed = TestEvents.publish(kafka, "test", new RestorePhaseChanged(id, "trio", "snap-relearn", RestoreMode.REPLACE,
                RestorePhase.FAILED, RestorePhase.RESTORING, "member restore failed", Instant.now()), Instant.now());
        awaitAgentCommitted("lifeboat-agent.trio.trio-0.restore-events", new TopicPartition(failed.topic(), failed.partition()), failed.offset() + 1);
        ReplaceStackResource.agents("trio").kill(0);
        ReplaceStackResource.agents("trio").restart(0);

        TestEvents.publish(kafka, "test", new RestoreMember(id, "trio", "trio-0", "snap-relearn",
                List.of(new ClusterSpec.Member("trio-0", "http://127.0.0.1:1", "http://127.0.0.1:2")), "token", 0, null,
                Instant.now().plusSeconds(120)));
        LifeboatEvent answer = EventCodec.decode(TopicProbe.await(kafka, Topics.AGENT_EVENTS, r -> "trio/trio-0".equals(r.key())
                && EventCodec.decode(r).payload() instanceof MemberRestoreFailed f && f.restoreId().equals(id), 1,
                RestoreTestSupport.WAIT).get(0)).payload();
        MemberRestoreFailed refused = (MemberRestoreFailed) answer;
        assertTrue(refused.reason().contains("restore " + id + " had already failed when its command reached the etcd-agent of member trio-0"),
                refused.reason());
        assertEquals(Boolean.FALSE, refused.dataChanged(), refused.reason());
        assertEveryTrioMemberServes(before);
    }

    /** Waits until the agent's consumer group committed {@code offset} on {@code partition} (bounded). */
    private void awaitAgentCommitted(String group, TopicPartition partition, long offset) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
            Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
            long committed = -1;
            while (committed < offset && Instant.now().isBefore(deadline)) {
                var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                committed = offsets.containsKey(partition) && offsets.get(partition) != null ? offsets.get(partition).offset() : -1;
                if (committed < offset) {
                    Thread.sleep(200);
                }
            }
            assertTrue(committed >= offset, group + " committed " + committed + " on " + partition + ", expected at least " + offset);
        }
    }

    /** The drill's id once restore-service stored it (bounded wait). */
    private String awaitRow(String drillId) throws Exception {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (support.count("select count(*) from drill where id = ?", drillId) == 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertEquals(1, support.count("select count(*) from drill where id = ?", drillId), "drill " + drillId + " was accepted");
        return drillId;
    }

    /** Waits until no drill of {@code heal} runs (a policy's last slot may still be running when it is deleted). */
    private void awaitNoRunningDrill() throws Exception {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (support.count("select count(*) from drill where cluster_id = ? and state = 'RUNNING'", "heal") > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertEquals(0, support.count("select count(*) from drill where cluster_id = ? and state = 'RUNNING'", "heal"));
    }

    /** snapshot-service's view of the snapshot once a passed drill is its newest verdict (bounded wait). */
    private static JsonPath awaitCatalogPassed(String snapshotId) throws InterruptedException {
        String snapshots = ConfigProvider.getConfig().getValue("test.snapshot.url", String.class);
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        JsonPath view = given().baseUri(snapshots).get("/api/v1/snapshots/" + snapshotId).then().statusCode(200).extract().jsonPath();
        while (!"PASSED".equals(view.getString("drill.verdict")) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            view = given().baseUri(snapshots).get("/api/v1/snapshots/" + snapshotId).then().statusCode(200).extract().jsonPath();
        }
        return view;
    }

    private String registerHeal() throws Exception {
        String heal = ConfigProvider.getConfig().getValue("test.etcd.heal", String.class);
        if (support.count("select count(*) from cluster where id = ?", "heal") == 0) {
            register("heal", heal, ConfigProvider.getConfig().getValue("test.members.heal", String.class));
        }
        return heal;
    }

    private static String requestDrill(String snapshotId) {
        return given().contentType(ContentType.JSON).body("{\"cluster\": \"heal\", \"snapshot\": \"" + snapshotId + "\"}")
                .post("/api/v1/drills").then().statusCode(202).extract().path("id");
    }

    private LifeboatEvent awaitAgentVerdict(String drillId) {
        return EventCodec.decode(TopicProbe.await(kafka, Topics.AGENT_EVENTS, r -> "heal/heal-0".equals(r.key())
                && drillIdOf(EventCodec.decode(r).payload()).equals(drillId), 1, RestoreTestSupport.WAIT).get(0)).payload();
    }

    private static String drillIdOf(LifeboatEvent event) {
        return event instanceof DrillCompleted c ? c.drillId() : event instanceof DrillFailed f ? f.drillId() : "";
    }

    /** Writes values that compress well and values that do not; returns everything the cluster serves then. */
    private static TreeMap<String, String> writeMixed(String endpoints, String prefix, long seed) throws Exception {
        Map<String, String> entries = new LinkedHashMap<>(numbered(prefix + "repeated-", 50, "a".repeat(4096)));
        java.util.Random random = new java.util.Random(seed);
        byte[] noise = new byte[4096];
        for (int i = 0; i < 50; i++) {
            random.nextBytes(noise);
            entries.put(prefix + "random-" + i, java.util.Base64.getEncoder().encodeToString(noise));
        }
        try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
            put(etcd, entries);
            return everything(etcd);
        }
    }

    /** The member's disk is gone: its agent and etcd killed (SIGKILL), its data dir deleted — and its agent's state dir with it. */
    private static void loseDisk(Path dataDir, boolean stateDirToo) throws Exception {
        stopMember(dataDir);
        deleteTree(dataDir);
        if (stateDirToo) {
            deleteTree(dataDir.resolveSibling(dataDir.getFileName() + ".agent"));
        }
    }

    /** Kills the heal member's agent, then its etcd (SIGKILL both). */
    private static void stopMember(Path dataDir) throws Exception {
        ReplaceStackResource.agents("heal").kill(0);
        Path pidFile = dataDir.resolveSibling(dataDir.getFileName() + ".pid");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle.of(pid).ifPresent(etcd -> {
            etcd.destroyForcibly();
            etcd.onExit().join();
        });
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** What the cluster serves once it serves {@code expected}, or when the wait is over. */
    private static TreeMap<String, String> awaitServes(String endpoints, TreeMap<String, String> expected) throws Exception {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        TreeMap<String, String> served = null;
        while (Instant.now().isBefore(deadline)) {
            try (Client etcd = RestoreTestSupport.etcd(endpoints)) {
                served = everything(etcd);
                if (expected.equals(served)) {
                    return served;
                }
            } catch (Exception notYet) {
                // etcd is not serving yet
            }
            Thread.sleep(500);
        }
        return served;
    }

    private MemberSelfHealed awaitSelfHealed(String snapshotId) {
        return (MemberSelfHealed) EventCodec.decode(TopicProbe.await(kafka, Topics.AGENT_EVENTS,
                r -> "heal/heal-0".equals(r.key()) && EventType.MEMBER_SELF_HEALED.ceType().equals(
                        TopicProbe.header(r, EventCodec.H_TYPE)) && snapshotId.equals(((MemberSelfHealed) EventCodec.decode(r)
                                .payload()).snapshotId()), 1, RestoreTestSupport.WAIT).get(0)).payload();
    }

    /** Writes {@code file} until the filesystem is full, then gives {@code leave} bytes back. */
    private static void fill(Path file, long leave) throws Exception {
        byte[] block = new byte[1 << 20];
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            try {
                for (int i = 0; i < 2048; i++) {
                    channel.write(java.nio.ByteBuffer.wrap(block));
                }
            } catch (java.io.IOException full) {
                // the disk is full
            }
            channel.truncate(Math.max(0, channel.size() - leave));
        }
    }

    private TreeMap<String, String> writeToTrio(String prefix, String value) throws Exception {
        try (Client etcd = RestoreTestSupport.etcd(trio)) {
            put(etcd, numbered(prefix, 20, value));
            return everything(etcd);
        }
    }

    /** The snapshot the trio's restores use (the one of {@link #everyMemberOfAThreeMemberClusterServesTheSnapshot}). */
    private static String trioSnapshot() {
        List<String> snapshots = given().get("/api/v1/restores?cluster=trio").then().statusCode(200).extract().jsonPath().getList("snapshot");
        return snapshots.get(snapshots.size() - 1);
    }

    private static String startTrioReplace(String snapshot) {
        return RestoreTestSupport.start("{\"cluster\": \"trio\", \"snapshot\": \"" + snapshot + "\", \"mode\": \"REPLACE\"}");
    }

    /** A REPLACE of the trio while the wrapper's fault flags exist (see {@link ReplaceStackResource}), rolled back by the saga. */
    private JsonPath rolledBackWhileFlagged(String snapshot, String... flags) throws Exception {
        List<Path> files = java.util.Arrays.stream(flags).map(flag -> Path.of(agentsDir, flag)).toList();
        for (Path file : files) {
            Files.writeString(file, "on");
        }
        try {
            return rolledBackAutomatically(startTrioReplace(snapshot));
        } finally {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Waits for the restore to fail and for the saga's own rollback to end; asserts that it rolled every member back. */
    private static JsonPath rolledBackAutomatically(String id) throws InterruptedException {
        JsonPath failed = RestoreTestSupport.awaitEnd(id);
        assertEquals("FAILED", failed.getString("phase"), failed.prettify());
        JsonPath view = awaitRollback(id);
        assertEquals("ROLLED_BACK", view.getString("rollback.state"), view.prettify());
        assertTrue(view.getBoolean("rollback.automatic"), view.prettify());
        assertEveryMemberHasItsDataBack(view, id);
        return view;
    }

    /** Every member of the trio was rolled back, or needed no rollback because its restore failed before its data dir was touched. */
    private static void assertEveryMemberHasItsDataBack(JsonPath view, String id) {
        List<Map<String, Object>> members = view.getList("members");
        assertEquals(3, members.size(), view.prettify());
        for (Map<String, Object> member : members) {
            boolean untouched = "FAILED".equals(member.get("state")) && Boolean.FALSE.equals(member.get("dataChanged"));
            String reason = String.valueOf(member.get("rollbackReason"));
            // A member whose restore failed before its data dir was touched has its data already: no rollback is sent to it.
            // (Had its answer come only after the rollback was sent, its agent may have rolled it back all the same.)
            assertTrue("ROLLED_BACK".equals(member.get("rollbackState"))
                    || untouched && "NOT_NEEDED".equals(member.get("rollbackState")) && reason.contains("before its data dir was touched"),
                    member.get("name") + " of restore " + id + " rolled back: " + view.prettify());
        }
    }

    private static String member(JsonPath view, String name, String field) {
        return view.getString("members.find { it.name == '" + name + "' }." + field);
    }

    private void assertEveryTrioMemberServes(TreeMap<String, String> expected) throws Exception {
        for (String endpoint : trio.split(",")) {
            try (Client member = RestoreTestSupport.etcd(endpoint)) {
                assertEquals(expected, everything(member), "member at " + endpoint + " serves its pre-restore data again");
            }
        }
    }

    protected void register(String cluster, String endpoints, String members) throws Exception {
        support.registerWithMembers(cluster, endpoints, members);
    }

    protected static JsonPath awaitRollback(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(RestoreTestSupport.WAIT);
        while (true) {
            JsonPath view = given().get("/api/v1/restores/" + id).then().statusCode(200).extract().jsonPath();
            if (!"REQUESTED".equals(view.getString("rollback.state")) || Instant.now().isAfter(deadline)) {
                return view;
            }
            Thread.sleep(200);
        }
    }

    protected static TreeMap<String, String> everything(Client etcd) throws Exception {
        return RestoreTestSupport.everything(etcd);
    }

    protected static Map<String, String> numbered(String prefix, int count, String value) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(prefix + String.format("%05d", i), value + "-" + i);
        }
        return entries;
    }
}
