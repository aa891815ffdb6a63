package dev.lifeboat.stack;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TLS material of an etcd that only talks https and only to clients with a certificate, as kubeadm runs it: a
 * CA, a certificate for the members (server and peer, for 127.0.0.1 and localhost) and a client certificate for
 * Lifeboat, as PEM files in a folder of the stack's secrets (keys readable by their owner only). Made once per
 * folder; nothing is committed.
 *
 * @param ca         the CA certificate every side trusts ({@code --trusted-ca-file}, {@code --peer-trusted-ca-file})
 * @param memberCert the members' certificate ({@code --cert-file}, {@code --peer-cert-file})
 * @param memberKey  its key
 * @param clientCert Lifeboat's client certificate (a cluster's {@code tls.certRef})
 * @param clientKey  its key ({@code tls.keyRef})
 */
public record EtcdTls(Path ca, Path memberCert, Path memberKey, Path clientCert, Path clientKey) {

    private static final Duration VALIDITY = Duration.ofDays(30);

    /** The material in {@code dir}, made when the folder has none. */
    public static EtcdTls in(Path dir) {
        EtcdTls tls = new EtcdTls(dir.resolve("ca.crt"), dir.resolve("member.crt"), dir.resolve("member.key"), dir.resolve("client.crt"),
                dir.resolve("client.key"));
        if (Files.isRegularFile(tls.clientKey())) {
            return tls;
        }
        try {
            Files.createDirectories(dir);
            KeyPair caKeys = rsa();
            X500Name caName = new X500Name("CN=lifeboat-local-etcd-ca");
            X509Certificate ca = sign(caName, caKeys.getPublic(), caName, caKeys, true, null);
            write(tls.ca(), pem(ca));
            KeyPair memberKeys = rsa();
            write(tls.memberCert(), pem(sign(new X500Name("CN=etcd-member"), memberKeys.getPublic(), caName, caKeys, false,
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})));
            writeOwnerOnly(tls.memberKey(), pem(new JcaPKCS8Generator(memberKeys.getPrivate(), null)));
            KeyPair clientKeys = rsa();
            write(tls.clientCert(), pem(sign(new X500Name("CN=lifeboat"), clientKeys.getPublic(), caName, caKeys, false,
                    new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth})));
            writeOwnerOnly(tls.clientKey(), pem(new JcaPKCS8Generator(clientKeys.getPrivate(), null)));
            return tls;
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new StackException("cannot make etcd's TLS certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** etcd's flags for https clients with certificates and TLS between peers. */
    public java.util.List<String> memberFlags() {
        return java.util.List.of("--cert-file", memberCert.toString(), "--key-file", memberKey.toString(), "--client-cert-auth",
                "--trusted-ca-file", ca.toString(), "--peer-cert-file", memberCert.toString(), "--peer-key-file", memberKey.toString(),
                "--peer-client-cert-auth", "--peer-trusted-ca-file", ca.toString());
    }

    /** etcdctl's flags to talk to such a member. */
    public java.util.List<String> clientFlags() {
        return java.util.List.of("--cacert", ca.toString(), "--cert", clientCert.toString(), "--key", clientKey.toString());
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, java.security.PublicKey key, X500Name issuer, KeyPair issuerKeys, boolean ca,
            KeyPurposeId[] purposes) throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, Ports.HOST), new GeneralName(GeneralName.dNSName, "localhost")}));
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
        X509CertificateHolder holder = builder.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content);
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }
}
