package dev.lifeboat.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class LocalTokensTest {

    @Test
    void aTokenIsAnRs256JwtThatTheVerifyKeyChecksWithItsClaims(@TempDir Path dir) throws Exception {
        LocalTokens tokens = LocalTokens.inFolder(dir);
        String token = tokens.mint("alice", List.of("viewer"), List.of("prod-eu"), Duration.ofHours(24));
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);

        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(tokens.verifyKey()))));
        rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(rs256.verify(Base64.getUrlDecoder().decode(parts[2])), "the signature verifies with the published key");

        JsonNode header = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertEquals("RS256", header.path("alg").asText());
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals(LocalTokens.ISSUER, claims.path("iss").asText());
        assertEquals("alice", claims.path("sub").asText());
        assertEquals("viewer", claims.path("groups").get(0).asText());
        assertEquals("prod-eu", claims.path("lifeboat_clusters").get(0).asText());
        long expiresIn = claims.path("exp").asLong() - Instant.now().getEpochSecond();
        assertTrue(expiresIn > 23 * 3600 && expiresIn <= 24 * 3600, "expires in 24 h: " + expiresIn);

        rs256.initVerify(KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(tokens.verifyKey()))));
        String changed = parts[1].substring(0, 10) + (parts[1].charAt(10) == 'A' ? 'B' : 'A') + parts[1].substring(11);
        rs256.update((parts[0] + "." + changed).getBytes(StandardCharsets.US_ASCII));
        assertFalse(rs256.verify(Base64.getUrlDecoder().decode(parts[2])), "changed claims do not verify");
    }

    @Test
    void theKeyPairStaysInItsFolderAndOnlyItsOwnerReadsTheSigningKey(@TempDir Path dir) throws Exception {
        String first = LocalTokens.inFolder(dir).verifyKey();
        assertEquals(first, LocalTokens.inFolder(dir).verifyKey(), "the same folder gives the same keys");
        assertEquals(first, LocalTokens.readFrom(dir).verifyKey());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("signing-key.pem"))));
        Path token = LocalTokens.writeToken(dir.resolve("admin.token"), "t");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));
    }

    @Test
    void unknownRolesAnEmptySubjectAndEndlessTokensAreRefused(@TempDir Path dir) {
        LocalTokens tokens = LocalTokens.inFolder(dir);
        assertThrows(IllegalArgumentException.class, () -> tokens.mint("bob", List.of("root"), List.of(), Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> tokens.mint(" ", List.of("viewer"), List.of(), Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> tokens.mint("bob", List.of("viewer"), List.of(), Duration.ofDays(400)));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> LocalTokens.readFrom(dir.resolve("nothing")));
        assertTrue(missing.getMessage().contains("make run writes one"), missing.getMessage());
    }
}
