package dev.cfost.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * This device's TLS key and self-signed certificate (EC P-256), made once and kept in a PKCS#12 file
 * beside the database, readable by its owner only.
 *
 * <p>Which peers to trust is decided above TLS, after the handshake, from the key the peer proved
 * (a {@link PeerAuthorizer}; docs/SECURITY.md): the contexts made here accept any certificate, except
 * those of {@link #forSyncKey}, which accept only a peer that knows the same sync key.
 */
public final class TlsIdentity {
  private static final char[] STORE_PASSWORD = "cfost".toCharArray(); // the file's permissions protect it
  private static final String ALIAS = "device";

  private final KeyStore store;
  private final X509Certificate certificate;
  /** The only key a peer may present (a sync key's), or null to accept any and decide after the handshake. */
  private final byte[] pinnedPeerKey;

  private TlsIdentity(KeyStore store) throws GeneralSecurityException {
    this(store, null);
  }

  private TlsIdentity(KeyStore store, byte[] pinnedPeerKey) throws GeneralSecurityException {
    this.store = store;
    this.certificate = (X509Certificate) store.getCertificate(ALIAS);
    this.pinnedPeerKey = pinnedPeerKey;
  }

  /**
   * The identity of a database without users: a certificate carrying the key derived from {@code key}, in
   * contexts that accept only a peer presenting the same derived key. A peer that does not know the sync
   * key fails the TLS handshake, before any message of the protocol, so it neither reads nor writes.
   */
  public static TlsIdentity forSyncKey(SyncKey key) throws IOException {
    KeyPair pair = key.tlsKeyPair();
    try {
      return new TlsIdentity(store(pair, "Ed25519"), pair.getPublic().getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make a certificate for the sync key: " + e.getMessage(), e);
    }
  }

  /**
   * An identity whose certificate carries {@code keys}, for example the device's Ed25519 key pair, so
   * that the peer's TLS certificate proves which device it talks to. Made in memory each time.
   */
  public static TlsIdentity forKeys(KeyPair keys) throws IOException {
    try {
      return new TlsIdentity(store(keys, "Ed25519".equals(keys.getPrivate().getAlgorithm())
          || "EdDSA".equals(keys.getPrivate().getAlgorithm()) ? "Ed25519" : "SHA256withECDSA"));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make a certificate for the device key: " + e.getMessage(), e);
    }
  }

  /** The identity file of a database: {@code <database file>.tls.p12}. */
  public static Path fileFor(Path database) {
    return database.resolveSibling(database.getFileName() + ".tls.p12");
  }

  /**
   * Loads the identity of a database, creating it on first use.
   *
   * @throws IOException if the file cannot be read or written, or the group or others may read it
   */
  public static TlsIdentity forDatabase(Path database) throws IOException {
    Path file = fileFor(database.toAbsolutePath());
    try {
      if (Files.exists(file)) {
        SyncKey.requireOwnerOnly(file, "the TLS identity file", "delete it to make a new one");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
          ks.load(in, STORE_PASSWORD);
        }
        return new TlsIdentity(ks);
      }
      KeyStore ks = create();
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".tls", ".tmp");
      try {
        restrict(tmp);
        try (OutputStream out = Files.newOutputStream(tmp)) {
          ks.store(out, STORE_PASSWORD);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return new TlsIdentity(ks);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot load or create the TLS identity " + file + ": " + e.getMessage(), e);
    }
  }

  private static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the folder's permissions apply
    }
  }

  private static KeyStore create() throws GeneralSecurityException, IOException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return store(gen.generateKeyPair(), "SHA256withECDSA");
  }

  private static KeyStore store(KeyPair pair, String signature) throws GeneralSecurityException, IOException {
    X500Name name = new X500Name("CN=cfost-device");
    Date from = new Date(System.currentTimeMillis() - 86_400_000L);
    Date to = new Date(System.currentTimeMillis() + 100L * 365 * 86_400_000L);
    try {
      var holder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()), from, to, name,
          pair.getPublic()).build(new JcaContentSignerBuilder(signature).build(pair.getPrivate()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(ALIAS, pair.getPrivate(), STORE_PASSWORD, new X509Certificate[] {cert});
      return ks;
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** The certificate this device presents. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A TLS 1.3 context that presents this identity's certificate and accepts any peer certificate: who
   * the peer is gets decided after the handshake, from the key it proved.
   */
  public SSLContext context() throws IOException {
    return context(this);
  }

  /**
   * A TLS 1.3 context with no certificate of its own that accepts any server certificate: for a client
   * that authenticates the server by other means (pairing checks the authorizer's signed reply).
   */
  public static SSLContext anonymousContext() throws IOException {
    return context(null);
  }

  private static SSLContext context(TlsIdentity identity) throws IOException {
    try {
      SSLContext tls = SSLContext.getInstance("TLSv1.3");
      KeyManager[] keys = null;
      if (identity != null) {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity.store, STORE_PASSWORD);
        keys = kmf.getKeyManagers();
      }
      TrustManager trust = identity != null && identity.pinnedPeerKey != null
          ? new PinnedKey(identity.pinnedPeerKey) : new AnyCertificate();
      tls.init(keys, new TrustManager[] {trust}, new SecureRandom());
      return tls;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** Accepts only a certificate carrying the sync key's derived key (compared in constant time). */
  private static final class PinnedKey implements X509TrustManager {
    private final byte[] key;

    PinnedKey(byte[] key) {
      this.key = key;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0
          || !MessageDigest.isEqual(key, chain[0].getPublicKey().getEncoded())) {
        throw new CertificateException("the peer does not hold this database's sync key");
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Accepts every certificate: trust is decided after the handshake (see the class doc). */
  private static final class AnyCertificate implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
