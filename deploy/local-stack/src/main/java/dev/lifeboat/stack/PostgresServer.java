package dev.lifeboat.stack;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * PostgreSQL for the services: embedded binaries from Maven Central (io.zonky.test) in
 * {@code <root>/postgres}, or the external server named by {@code LIFEBOAT_PG_URL}.
 * Each service keeps its tables in its own schema of one database.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String DATABASE = "lifeboat";
    private static final String PID_NAME = "postgres";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final EmbeddedPostgres embedded;
    private final Path runDir;

    private PostgresServer(String jdbcUrl, String user, String password, EmbeddedPostgres embedded, Path runDir) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.embedded = embedded;
        this.runDir = runDir;
    }

    static PostgresServer start(StackOptions options) {
        if (options.postgres().isPresent()) {
            StackOptions.ExternalPostgres external = options.postgres().get();
            PostgresServer server = new PostgresServer(external.jdbcUrl(), external.user(), external.password(), null, options.runDir());
            server.checkReachable();
            return server;
        }
        int port = options.port(StackOptions.POSTGRES_PORT, "PostgreSQL");
        Path dataDir = options.dataDir().resolve("postgres").resolve("data");
        try {
            Files.createDirectories(dataDir.getParent());
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(options.dataDir().resolve("postgres").toFile())
                    .setServerConfig("listen_addresses", Ports.HOST)
                    .setServerConfig("max_connections", "300");
            if (!options.fixedPorts()) {
                // Test databases are thrown away: durability buys nothing there.
                builder.setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off");
            }
            EmbeddedPostgres embedded = builder.start();
            recordPostmaster(options.runDir(), dataDir);
            String jdbcUrl = "jdbc:postgresql://" + Ports.HOST + ":" + port + "/" + DATABASE;
            PostgresServer server = new PostgresServer(jdbcUrl, "postgres", "", embedded, options.runDir());
            server.createDatabase(embedded);
            return server;
        } catch (IOException e) {
            throw new StackException("embedded PostgreSQL did not start on port " + port + ": " + e.getMessage()
                    + "; see " + dataDir.getParent(), e);
        }
    }

    private static void recordPostmaster(Path runDir, Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (Files.exists(pidFile)) {
            String firstLine = Files.readAllLines(pidFile).get(0).trim();
            ManagedProcess.recordPid(runDir, PID_NAME, Long.parseLong(firstLine));
        }
    }

    private void createDatabase(EmbeddedPostgres embedded) {
        try (Connection connection = embedded.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            var exists = statement.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'");
            if (!exists.next()) {
                statement.execute("create database " + DATABASE);
            }
        } catch (SQLException e) {
            throw new StackException("cannot create database " + DATABASE + " in embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private void checkReachable() {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, user, password)) {
            connection.isValid(5);
        } catch (SQLException e) {
            throw new StackException("the PostgreSQL of LIFEBOAT_PG_URL (" + jdbcUrl.split("\\?")[0]
                    + ") is not reachable: " + e.getMessage(), e);
        }
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The same server in the form of the reactive client: {@code postgresql://host:port/db}. */
    public String reactiveUrl() {
        return jdbcUrl.substring("jdbc:".length());
    }

    public int port() {
        return URI.create(reactiveUrl()).getPort();
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /**
     * An outage of Lifeboat's database as its services see it ({@code reachable} false): no new connection to
     * {@link #DATABASE}, the open ones closed; true ends it. For outage tests; {@code jdbcUrl}, {@code user} and
     * {@code password} reach the server (the database itself or another one, as the tests configure it).
     */
    public static void setReachable(String jdbcUrl, String user, String password, boolean reachable) {
        try (Connection admin = DriverManager.getConnection(jdbcUrl.replace("/" + DATABASE, "/postgres"), user, password);
                java.sql.Statement statement = admin.createStatement()) {
            statement.execute("alter database " + DATABASE + " with allow_connections " + reachable);
            if (!reachable) {
                statement.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + DATABASE
                        + "' and pid <> pg_backend_pid()");
            }
        } catch (SQLException e) {
            throw new StackException("cannot make database " + DATABASE + (reachable ? " reachable" : " unreachable") + ": " + e.getMessage(), e);
        }
    }

    public boolean embedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                throw new StackException("embedded PostgreSQL did not stop cleanly: " + e.getMessage(), e);
            } finally {
                ManagedProcess.forgetPid(runDir, PID_NAME);
            }
        }
    }
}
