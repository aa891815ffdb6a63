package dev.lifeboat.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * An etcd release the stack can run: its server, {@code etcdctl}, and {@code etcdutl} where the release has one.
 * <ul>
 * <li>{@link #V3_4}: Debian 12's {@code etcd-server}/{@code etcd-client} 3.4 on the PATH (no etcdutl; its etcdctl
 * restores, without {@code --bump-revision}).</li>
 * <li>{@link #V3_5}: Debian trixie's 3.5 static binaries, which {@code scripts/bootstrap.sh} unpacks into
 * {@code .tools/etcd-3.5} of the checkout ({@code LIFEBOAT_ETCD_35_DIR} names another folder).</li>
 * </ul>
 * 3.6 (etcdutl only, v3 store only) has no binary reachable here; Lifeboat's code paths for it are those of 3.5.
 */
public enum EtcdRelease {

    V3_4("3.4"),
    V3_5("3.5");

    /** The release {@code make run} and the tests use when none is named: 3.5, what Kubernetes runs. */
    public static final EtcdRelease DEFAULT = V3_5;

    private final String version;

    EtcdRelease(String version) {
        this.version = version;
    }

    /** {@code 3.4} or {@code 3.5}. */
    public String version() {
        return version;
    }

    /** The release of a version text ({@code 3.4}, {@code 3.5}); a clear error for any other. */
    public static EtcdRelease of(String version) {
        for (EtcdRelease release : values()) {
            if (release.version.equals(version == null ? "" : version.trim().toLowerCase(Locale.ROOT))) {
                return release;
            }
        }
        throw new StackException("etcd version must be 3.4 or 3.5, not '" + version + "' (ETCD_VERSION)");
    }

    public Path etcd() {
        return binary("etcd");
    }

    public Path etcdctl() {
        return binary("etcdctl");
    }

    /** The tool that restores snapshots: etcdutl where the release has one, else etcdctl. */
    public Path restoreTool() {
        return etcdutl().orElseGet(this::etcdctl);
    }

    /** etcdutl, which 3.5 has and 3.4 has not. */
    public Optional<Path> etcdutl() {
        return this == V3_4 ? Optional.empty() : Optional.of(binary("etcdutl"));
    }

    private Path binary(String name) {
        if (this == V3_4) {
            return Binaries.require(name, "install Debian's etcd-server and etcd-client packages (sudo apt-get install -y etcd-server etcd-client); "
                    + "'make test' and 'make run' do this");
        }
        Path file = folder35().resolve(name);
        if (!Files.isExecutable(file)) {
            throw new StackException("etcd 3.5's " + name + " is missing at " + file + ": run scripts/bootstrap.sh (make test and make run do)");
        }
        return file;
    }

    /** {@code LIFEBOAT_ETCD_35_DIR}, or {@code .tools/etcd-3.5} of the checkout the working directory is in. */
    private static Path folder35() {
        String configured = System.getenv("LIFEBOAT_ETCD_35_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(".tools").resolve("etcd-3.5");
            if (Files.isDirectory(candidate) || Files.isRegularFile(dir.resolve("mvnw"))) {
                return candidate;
            }
        }
        return Path.of(".tools", "etcd-3.5").toAbsolutePath();
    }
}
