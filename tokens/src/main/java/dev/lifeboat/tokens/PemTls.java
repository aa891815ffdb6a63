package dev.lifeboat.tokens;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context from PEM files as etcd uses them (kubeadm's {@code /etc/kubernetes/pki/etcd}): the CA to
 * trust and, for a server that asks for one ({@code --client-cert-auth}), a client certificate with its unencrypted
 * PKCS#8 key. For Java's HTTP client, which reads no PEM; gRPC clients take the files themselves.
 */
public final class PemTls {

    private static final char[] NO_PASSWORD = new char[0];

    private PemTls() {
    }

    /** Trusts {@code ca}; presents {@code cert}/{@code key} when both are given (they may be null). */
    public static SSLContext clientContext(Path ca, Path cert, Path key) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates(ca)) {
                trusted.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            KeyManagerFactory keys = null;
            if (cert != null && key != null) {
                KeyStore own = KeyStore.getInstance("PKCS12");
                own.load(null, null);
                own.setKeyEntry("client", privateKey(key), NO_PASSWORD, certificates(cert).toArray(Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(own, NO_PASSWORD);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the TLS files (CA " + ca + (cert == null ? "" : ", certificate " + cert + ", key " + key)
                    + ") cannot be used: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    /** An unencrypted key: PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}, as kubeadm writes). */
    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        boolean pkcs1 = text.contains("BEGIN RSA PRIVATE KEY");
        if (!pkcs1 && !text.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalArgumentException(pem + " is not an unencrypted PKCS#8 or PKCS#1 RSA key");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----(BEGIN|END) (RSA )?PRIVATE KEY-----", "").strip());
        if (pkcs1) {
            der = pkcs8(der);
        }
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // the next algorithm
            }
        }
        throw new IllegalArgumentException(pem + " holds neither an RSA nor an EC key");
    }

    /** A PKCS#1 RSA key wrapped as PKCS#8: SEQUENCE { 0, SEQUENCE { rsaEncryption, NULL }, OCTET STRING { key } }. */
    private static byte[] pkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
        System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
        return der(0x30, body);
    }

    /** A DER element: tag, length (short or long form), content. */
    private static byte[] der(int tag, byte[] content) {
        int length = content.length;
        byte[] lengthBytes;
        if (length < 0x80) {
            lengthBytes = new byte[] {(byte) length};
        } else {
            int size = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
            lengthBytes = new byte[size + 1];
            lengthBytes[0] = (byte) (0x80 | size);
            for (int i = 0; i < size; i++) {
                lengthBytes[size - i] = (byte) (length >>> (8 * i));
            }
        }
        byte[] element = new byte[1 + lengthBytes.length + length];
        element[0] = (byte) tag;
        System.arraycopy(lengthBytes, 0, element, 1, lengthBytes.length);
        System.arraycopy(content, 0, element, 1 + lengthBytes.length, length);
        return element;
    }
}
