package dev.cfost.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a WebSocket transport ({@link Transports#webSocket}) reaches a sync server: its {@code ws://} or
 * {@code wss://} URLs (several: tried in order, the next one when one fails), the handshake's headers, and
 * the TLS trust for {@code wss://} (the JDK's default trust store unless a certificate or key store is
 * given, for a server with a self-signed certificate). Immutable; build with {@link #builder()}.
 */
public final class WebSocketOptions {
  public final List<URI> urls;
  public final WebSocketAuth auth;
  /** The TLS context for {@code wss://} URLs: null for the JDK default. */
  public final SSLContext tls;
  public final Duration connectTimeout;

  private WebSocketOptions(Builder b) {
    this.urls = List.copyOf(b.urls);
    this.auth = b.auth;
    this.tls = b.tls;
    this.connectTimeout = b.connectTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A TLS context that trusts only the certificates in {@code file}: PEM or DER certificates (a
   * self-signed server's certificate, or the CA that signed it), or a PKCS#12 key store without a password
   * (its certificate entries). The JDK's default trust store is not consulted.
   *
   * @throws IOException naming the file if it cannot be read or holds no certificate
   */
  public static SSLContext trusting(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".p12") || name.endsWith(".pfx") || name.endsWith(".jks")) {
        KeyStore ks = KeyStore.getInstance(name.endsWith(".jks") ? "JKS" : "PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
          ks.load(in, new char[0]);
        }
        for (String alias : java.util.Collections.list(ks.aliases())) {
          Certificate c = ks.getCertificate(alias);
          if (c != null) {
            trust.setCertificateEntry("cert-" + alias, c);
          }
        }
      } else {
        try (InputStream in = Files.newInputStream(file)) {
          int i = 0;
          for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            trust.setCertificateEntry("cert-" + i++, c);
          }
        }
      }
      if (trust.size() == 0) {
        throw new IOException("the trust file " + file + " holds no certificate");
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read certificates from the trust file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Builder of {@link WebSocketOptions}. */
  public static final class Builder {
    private final List<URI> urls = new ArrayList<>();
    private WebSocketAuth auth = WebSocketAuth.none();
    private SSLContext tls;
    private Duration connectTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * Adds a server URL, {@code ws://} or {@code wss://} with the path and query of the sync endpoint
     * (for CFOST's server {@code wss://host/v1/sync?database=ID}). The first is tried first.
     *
     * @throws IllegalArgumentException naming the URL if it is not ws or wss with a host
     */
    public Builder url(URI url) {
      Objects.requireNonNull(url, "url");
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("ws") && !scheme.equals("wss") || url.getHost() == null) {
        throw new IllegalArgumentException("not a ws:// or wss:// URL with a host: '" + url + "'");
      }
      urls.add(url);
      return this;
    }

    /** Where the handshake's headers come from (default: none). */
    public Builder auth(WebSocketAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /** The TLS context for {@code wss://} (default: the JDK's, with its trust store); see {@link #trusting}. */
    public Builder tls(SSLContext tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** How long connecting and the handshake may take, per URL (default 10 s). */
    public Builder connectTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("connectTimeout must be positive: " + timeout);
      }
      this.connectTimeout = timeout;
      return this;
    }

    public WebSocketOptions build() {
      if (urls.isEmpty()) {
        throw new IllegalStateException("a WebSocket transport needs at least one server URL");
      }
      return new WebSocketOptions(this);
    }
  }
}
