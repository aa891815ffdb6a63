package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.quarkus.logging.Log;

/**
 * A member the kubelet runs from a static pod manifest (kubeadm: {@code /etc/kubernetes/manifests/etcd.yaml}). The
 * agent never runs or signals that etcd: it stops it by moving the manifest out of the kubelet's folder and starts it by
 * moving the manifest back, as the kubeadm and Kubernetes restore guides do by hand. The manifests of the components
 * that must not run against a member being replaced (the API server) are moved aside first and come back only once
 * etcd serves again.
 *
 * <p>A manifest is moved by writing a copy where it goes (a hidden temporary file, synced, then renamed: the kubelet
 * ignores hidden files and never sees half a manifest) and then deleting the original, so the manifests folder and the
 * aside folder may be on different file systems (a container mounts them separately). A crash in between leaves the
 * manifest in both places; the copy in the manifests folder counts and the aside one is deleted on the next move.
 */
public final class StaticPods {

    /** How often the folder and etcd's port are looked at while waiting. */
    private static final Duration POLL = Duration.ofMillis(200);
    /** {@code --data-dir=/var/lib/etcd} or {@code --data-dir /var/lib/etcd}, as a list item of the container's command. */
    private static final Pattern DATA_DIR = Pattern.compile("--data-dir[= ]\"?([^\"\\s]+)\"?");

    private final Path manifestsDir;
    private final String etcdManifest;
    private final List<String> pauseManifests;
    private final Path asideDir;
    private final Duration stopTimeout;
    private final URI clientUrl;
    private final Path db;

    public StaticPods(Path manifestsDir, String etcdManifest, List<String> pauseManifests, Path asideDir, Duration stopTimeout, String clientUrl,
            Path dataDir) {
        this.manifestsDir = manifestsDir.toAbsolutePath().normalize();
        this.etcdManifest = checkedName(etcdManifest);
        this.pauseManifests = pauseManifests.stream().map(StaticPods::checkedName).toList();
        this.asideDir = asideDir.toAbsolutePath().normalize();
        this.stopTimeout = stopTimeout;
        this.clientUrl = URI.create(clientUrl);
        this.db = dataDir.toAbsolutePath().resolve("member").resolve("snap").resolve("db");
    }

    /** A manifest's file name: a plain name in the folder, never a path out of it. */
    private static String checkedName(String name) {
        if (name == null || name.isBlank() || name.startsWith(".") || name.contains("/") || name.contains("\\") || name.contains("\0")) {
            throw new EtcdProcessException("lifeboat.agent.static-pod: '" + name + "' is not a manifest file name (a plain name such as etcd.yaml)");
        }
        return name;
    }

    /**
     * Checked at start, before the agent touches anything: the manifests folder exists, etcd's manifest is in it or aside
     * (a restore in progress when the agent stopped), and its {@code --data-dir} is the data dir the agent replaces —
     * an agent configured for another directory would swap data etcd does not use.
     */
    public void validate(Path dataDir) {
        if (!Files.isDirectory(manifestsDir)) {
            throw new EtcdProcessException("lifeboat.agent.static-pod.manifests-dir " + manifestsDir + " is not a directory (the kubelet's "
                    + "staticPodPath, mounted into the agent at the same path)");
        }
        Path manifest = Files.exists(inPlace(etcdManifest)) ? inPlace(etcdManifest) : aside(etcdManifest);
        if (!Files.exists(manifest)) {
            throw new EtcdProcessException("etcd's static pod manifest " + inPlace(etcdManifest) + " does not exist (nor a copy set aside in "
                    + asideDir + "); set lifeboat.agent.static-pod.etcd-manifest to its file name");
        }
        String text;
        try {
            text = Files.readString(manifest);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot read etcd's static pod manifest " + manifest + ": " + e.getMessage());
        }
        Optional<Path> declared = dataDirOf(text);
        if (declared.isEmpty()) {
            throw new EtcdProcessException("etcd's static pod manifest " + manifest + " names no --data-dir; the agent replaces "
                    + dataDir + " and cannot tell that etcd uses it");
        }
        if (!declared.get().equals(dataDir.toAbsolutePath().normalize())) {
            throw new EtcdProcessException("etcd's static pod manifest " + manifest + " runs etcd on --data-dir " + declared.get()
                    + ", but lifeboat.agent.etcd.data-dir is " + dataDir + "; they must be the same directory");
        }
    }

    /** The {@code --data-dir} of etcd's command in a manifest. */
    static Optional<Path> dataDirOf(String manifest) {
        Matcher matcher = DATA_DIR.matcher(manifest);
        return matcher.find() ? Optional.of(Path.of(matcher.group(1)).toAbsolutePath().normalize()) : Optional.empty();
    }

    /** Whether etcd's manifest is in the kubelet's folder (the kubelet runs etcd, or will). */
    public boolean etcdInPlace() {
        return Files.exists(inPlace(etcdManifest));
    }

    /** The paused manifests that are aside now. */
    public List<String> paused() {
        return pauseManifests.stream().filter(name -> Files.exists(aside(name)) && !Files.exists(inPlace(name))).toList();
    }

    /**
     * Stops the member: the paused components' manifests go aside first (the API server stops talking to a member about
     * to change), then etcd's; returns once etcd is gone — its client port refuses connections and, where the agent can
     * see it, no process holds the lock on its database. Fails after {@code stop-timeout}, naming where the manifests are.
     */
    public void stop() {
        for (String name : pauseManifests) {
            if (Files.exists(inPlace(name))) {
                move(inPlace(name), aside(name));
                Log.infof("moved static pod manifest %s aside to %s: the kubelet stops it until etcd serves again", name, asideDir);
            }
        }
        if (Files.exists(inPlace(etcdManifest))) {
            move(inPlace(etcdManifest), aside(etcdManifest));
            Log.infof("moved etcd's static pod manifest %s aside to %s: waiting for the kubelet to stop etcd", etcdManifest, asideDir);
        }
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        int quiet = 0;
        while (quiet < 3) {
            if (System.nanoTime() > deadline) {
                throw new EtcdProcessException("the kubelet did not stop etcd within " + stopTimeout.toSeconds() + " s of its manifest leaving "
                        + manifestsDir + " (" + (answers() ? "etcd still answers at " + clientUrl : "its database " + db + " is still locked")
                        + "); the manifests are kept in " + asideDir);
            }
            quiet = !answers() && !dbLocked() ? quiet + 1 : 0;
            sleep();
        }
    }

    /** Starts the member: etcd's manifest goes back into the kubelet's folder (the paused ones wait for {@link #resumePaused()}). */
    public void startEtcd() {
        putBack(etcdManifest, "the kubelet starts etcd");
    }

    /** Puts the paused components' manifests back; called once etcd serves. */
    public void resumePaused() {
        pauseManifests.forEach(name -> putBack(name, "etcd serves again"));
    }

    /** A manifest aside goes back into the folder; when a crash left it in both places, the copy aside goes. */
    private void putBack(String name, String why) {
        Path from = aside(name);
        if (!Files.exists(from)) {
            return;
        }
        if (Files.exists(inPlace(name))) {
            delete(from);
        } else {
            move(from, inPlace(name));
            Log.infof("moved static pod manifest %s back into %s: %s", name, manifestsDir, why);
        }
    }

    /** Whether something accepts connections at etcd's client address. */
    private boolean answers() {
        int port = clientUrl.getPort() > 0 ? clientUrl.getPort() : 2379;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(clientUrl.getHost(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether a process holds a lock on etcd's database (bbolt takes one while etcd has it open), from
     * {@code /proc/locks}: locks are listed by device and inode. The kernel lists only the locks of processes in the
     * reader's PID namespace, so an agent in a container without the host's PID namespace sees none and relies on the
     * client port alone.
     */
    private boolean dbLocked() {
        Path locks = Path.of("/proc/locks");
        if (!Files.isReadable(locks) || !Files.exists(db)) {
            return false;
        }
        try {
            long inode = ((Number) Files.getAttribute(db, "unix:ino")).longValue();
            long dev = ((Number) Files.getAttribute(db, "unix:dev")).longValue();
            String device = String.format("%02x:%02x:%d", (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL)),
                    (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL)), inode);
            for (String line : Files.readAllLines(locks)) {
                String[] fields = line.trim().split("\\s+");
                // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; a blocked waiter's line has "->" after the number.
                for (String field : fields) {
                    if (field.equals(device)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private Path inPlace(String name) {
        return manifestsDir.resolve(name);
    }

    private Path aside(String name) {
        return asideDir.resolve(name);
    }

    /** Copy to a hidden file beside the target, sync, rename into place, then delete the source. */
    private static void move(Path from, Path to) {
        Path temporary = to.resolveSibling("." + to.getFileName() + ".lifeboat-tmp");
        try {
            Files.createDirectories(to.getParent());
            Files.write(temporary, Files.readAllBytes(from), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.move(temporary, to, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, to, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.delete(from);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot move static pod manifest " + from + " to " + to + ": " + e.getMessage());
        }
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot delete " + path + ": " + e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdProcessException("interrupted while waiting for the kubelet to stop etcd");
        }
    }

    /** What the agent's REST API shows. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("manifestsDir", manifestsDir.toString());
        view.put("etcdManifest", etcdManifest);
        view.put("etcdManifestInPlace", etcdInPlace());
        view.put("paused", new ArrayList<>(paused()));
        view.put("asideDir", asideDir.toString());
        return view;
    }
}
