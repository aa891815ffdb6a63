package dev.lifeboat.stack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * S3Proxy with its filesystem backend and AWS signature v2/v4 authentication, run as a child JVM from
 * the jars that {@code deploy/s3-server} resolved. Its logging is held at WARN: at its default DEBUG
 * level it is several times slower.
 */
public final class S3Server implements AutoCloseable {

    private static final String CLASSPATH_RESOURCE = "/dev/lifeboat/stack/s3-server.classpath";
    public static final String REGION = "us-east-1";

    private final int port;
    private final String accessKey;
    private final String secretKey;
    private final Path baseDir;
    private final List<String> command;
    private final Path home;
    private final Path runDir;
    private ManagedProcess process;

    private S3Server(int port, String accessKey, String secretKey, Path baseDir, List<String> command, Path home, Path runDir) {
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.baseDir = baseDir;
        this.command = command;
        this.home = home;
        this.runDir = runDir;
    }

    static S3Server start(StackOptions options) {
        int port = options.port(StackOptions.S3_PORT, "S3");
        Path home = options.dataDir().resolve("s3");
        Path baseDir = home.resolve("buckets");
        Path properties = home.resolve("s3proxy.properties");
        Path logback = home.resolve("logback.xml");
        Path credentialsFile = home.resolve("credentials");
        String accessKey = "lifeboat-local";
        try {
            Files.createDirectories(baseDir);
            // The secret is made once per data directory and kept there, so make run keeps working keys.
            if (!Files.exists(credentialsFile)) {
                byte[] random = new byte[20];
                new SecureRandom().nextBytes(random);
                Files.writeString(credentialsFile, HexFormat.of().formatHex(random));
            }
            String secretKey = Files.readString(credentialsFile).trim();
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=http://" + Ports.HOST + ":" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + accessKey,
                    "s3proxy.credential=" + secretKey,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.identity=" + accessKey,
                    "jclouds.credential=" + secretKey,
                    "jclouds.filesystem.basedir=" + baseDir,
                    ""), StandardCharsets.UTF_8);
            Files.writeString(logback, """
                    <configuration>
                      <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{ISO8601} %level %logger{20} %msg%n</pattern></encoder>
                      </appender>
                      <root level="WARN"><appender-ref ref="STDOUT"/></root>
                    </configuration>
                    """, StandardCharsets.UTF_8);
            // The filesystem backend keeps a bucket as a directory: creating it is creating the bucket. It
            // derives access from POSIX permissions (readable by others = public-read), so the bucket is
            // private to its owner and S3Proxy runs with umask 077: unsigned requests are refused.
            Path bucket = baseDir.resolve(StackOptions.BUCKET);
            Files.createDirectories(bucket);
            Files.setPosixFilePermissions(bucket, PosixFilePermissions.fromString("rwx------"));
            List<String> command = List.of("sh", "-c", "umask 077 && exec \"$0\" \"$@\"",
                    Binaries.java(), "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logback,
                    "-cp", classpath(), "org.gaul.s3proxy.Main", "--properties", properties.toString());
            S3Server server = new S3Server(port, accessKey, secretKey, baseDir, command, home, options.runDir());
            server.start();
            return server;
        } catch (IOException e) {
            throw new StackException("cannot prepare S3Proxy under " + home + ": " + e.getMessage(), e);
        }
    }

    private static String classpath() {
        try (InputStream in = S3Server.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
            if (in == null) {
                throw new StackException("the S3Proxy classpath is missing: build deploy/s3-server first (./mvnw install -pl deploy/s3-server)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new StackException("cannot read the S3Proxy classpath: " + e.getMessage(), e);
        }
    }

    public String endpoint() {
        return "http://" + Ports.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Where the filesystem backend keeps objects: {@code <baseDir>/<bucket>/<key>}. */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * Starts S3Proxy (again, after {@link #stop()}) on the same port with the same data. Tests use the
     * pair to take S3 away in the middle of an upload.
     */
    public synchronized void start() {
        process = ManagedProcess.start("s3proxy", command, home, runDir, Map.of("LOG_LEVEL", "warn"));
        try {
            Ports.awaitAccepting(port, "S3Proxy", Duration.ofSeconds(60), process);
        } catch (RuntimeException e) {
            process.stop();
            throw e;
        }
    }

    /** Stops S3Proxy; its data stays for {@link #start()}. */
    public synchronized void stop() {
        process.stop();
    }

    @Override
    public void close() {
        stop();
    }
}
