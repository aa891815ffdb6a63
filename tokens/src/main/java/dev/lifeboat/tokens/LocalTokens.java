package dev.lifeboat.tokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Self-contained bearer tokens for a Lifeboat without an identity provider ({@code make run}, the tests): a
 * folder holds an RSA key pair — {@code signing-key.pem} (PKCS#8, readable by its owner only) and {@code
 * verify-key.pem} (X.509) — and tokens are RS256 JWTs signed with it. The services verify them with
 * quarkus-oidc's local public-key mode ({@code quarkus.oidc.public-key} = {@link #verifyKey}, {@code
 * quarkus.oidc.token.issuer} = {@link #ISSUER}), exactly as they verify an identity provider's tokens.
 * <p>
 * Claims: {@code iss}, {@code sub}, {@code groups} (Lifeboat's roles), {@code lifeboat_clusters} (the clusters
 * the token may touch; absent: all), {@code iat}, {@code exp}, {@code jti}.
 */
public final class LocalTokens {

    public static final String ISSUER = "lifeboat-local";
    public static final String ROLES_CLAIM = "groups";
    public static final String CLUSTERS_CLAIM = "lifeboat_clusters";
    public static final Set<String> ROLES = Set.of("viewer", "operator", "restorer", "admin");
    /** The longest a token may live: a year. */
    public static final Duration MAX_TTL = Duration.ofDays(366);

    private static final String SIGNING_KEY = "signing-key.pem";
    private static final String VERIFY_KEY = "verify-key.pem";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    private final PrivateKey signingKey;
    private final PublicKey verifyKey;

    private LocalTokens(PrivateKey signingKey, PublicKey verifyKey) {
        this.signingKey = signingKey;
        this.verifyKey = verifyKey;
    }

    /** The key pair in {@code dir}; a new one is made (and written) when the folder has none. */
    public static LocalTokens inFolder(Path dir) {
        Path signing = dir.resolve(SIGNING_KEY);
        Path verify = dir.resolve(VERIFY_KEY);
        try {
            if (!Files.isRegularFile(signing) || !Files.isRegularFile(verify)) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                KeyPair pair = generator.generateKeyPair();
                Files.createDirectories(dir);
                writeOwnerOnly(signing, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
                Files.writeString(verify, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
                return new LocalTokens(pair.getPrivate(), pair.getPublic());
            }
            return readFrom(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the token keys in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make RSA keys", e);
        }
    }

    /** The key pair in {@code dir}, which must hold one (as {@code make run} writes it). */
    public static LocalTokens readFrom(Path dir) {
        Path signing = dir.resolve(SIGNING_KEY);
        try {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            PrivateKey privateKey = rsa.generatePrivate(new PKCS8EncodedKeySpec(der(Files.readString(signing))));
            PublicKey publicKey = rsa.generatePublic(new X509EncodedKeySpec(der(Files.readString(dir.resolve(VERIFY_KEY)))));
            return new LocalTokens(privateKey, publicKey);
        } catch (IOException e) {
            throw new IllegalArgumentException("no token signing key at " + signing + " (make run writes one): " + e.getClass().getSimpleName());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(signing + " is not an RSA key pair written by Lifeboat");
        }
    }

    /** The public key as quarkus-oidc takes it ({@code quarkus.oidc.public-key}): base64 of its X.509 encoding. */
    public String verifyKey() {
        return Base64.getEncoder().encodeToString(verifyKey.getEncoded());
    }

    /**
     * A signed token for {@code subject} with {@code roles} (viewer, operator, restorer, admin), limited to
     * {@code clusters} (empty: every cluster), valid for {@code ttl} (at most {@link #MAX_TTL}).
     */
    public String mint(String subject, List<String> roles, List<String> clusters, Duration ttl) {
        if (subject == null || subject.isBlank() || subject.length() > 128) {
            throw new IllegalArgumentException("a token needs a subject of 1 to 128 characters");
        }
        if (roles.isEmpty() || !ROLES.containsAll(roles)) {
            throw new IllegalArgumentException("roles must be among " + ROLES.stream().sorted().toList() + ", not " + roles);
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("a token lives between one second and " + MAX_TTL.toDays() + " days, not " + ttl);
        }
        Instant now = Instant.now();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put(ROLES_CLAIM, roles);
        if (!clusters.isEmpty()) {
            claims.put(CLUSTERS_CLAIM, clusters);
        }
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(ttl).getEpochSecond());
        claims.put("jti", UUID.randomUUID().toString());
        try {
            String signed = URL.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT"))) + "."
                    + URL.encodeToString(JSON.writeValueAsBytes(claims));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(signingKey);
            rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + URL.encodeToString(rs256.sign());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    /** Writes a token to a file only its owner can read, as the CLI and the etcd-agents read them. */
    public static Path writeToken(Path file, String token) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            writeOwnerOnly(file, token + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the token " + file, e);
        }
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").strip());
    }
}
