package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingResponse;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.TlsIdentity;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pairing under attack from the LAN (issue 10, item 9): a bad response must not end the pairing, the owner
 * confirms the device shown by id and name, the QR image is owner-only, and a device that joined offline
 * takes the database it joined. Child processes, TLS on 127.0.0.1 only.
 */
class PairingCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "correct horse battery\n";
  private static final Pattern CODE = Pattern.compile("^(cfost-pair:[A-Za-z0-9_-]+)$", Pattern.MULTILINE);
  private static final Pattern RESPONSE = Pattern.compile("(cfost-pair-response:[A-Za-z0-9_-]+)");

  @TempDir Path dir;
  CfostProcess cfost;
  /** Setup and read-backs, in this JVM through the same entry point: a child JVM costs about a second each. */
  CfostProcess local;
  String a;
  String b;

  @BeforeEach
  void paths() {
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
    a = dir.resolve("a.db").toString();
    b = dir.resolve("b.db").toString();
  }

  private void alice(String db, String... more) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--db", db, "init", "--user", "alice",
        "--email", "alice@example.org", "--password-stdin", "--device-name", "laptop"));
    args.addAll(java.util.List.of(more));
    local.stdin(PASSWORD).run(args.toArray(String[]::new)).ok();
    local.stdin("");
  }

  /** Sends one line over the pairing channel as a device on the LAN would; returns the answer or null. */
  private static String sendLine(PeerAddress to, String line) throws Exception {
    try (SSLSocket s = (SSLSocket) TlsIdentity.anonymousContext().getSocketFactory().createSocket(to.host(), to.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }
  }

  @Test
  void aResponseWithAWrongNonceIsIgnoredAndTheOwnerConfirmsTheNewDeviceByIdAndName() throws Exception {
    alice(a);
    try (BackgroundCfost pair = BackgroundCfost.interactive(dir, "--db", a, "device", "pair", "--listen",
        "127.0.0.1:0", "--timeout", "90")) {
      String code = pair.awaitMatch(CODE);
      PairingChallenge real = PairingChallenge.decode(code);
      PeerAddress at = PeerAddress.parse(real.addresses().get(0));
      // An attacker answers a challenge of its own making: the nonce is not the one issued.
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      PairingChallenge forged = PairingChallenge.of(real.userId(), real.authorizerPublicKey(), nonce,
          real.expiresAt(), real.addresses());
      byte[] site = new byte[16];
      new SecureRandom().nextBytes(site);
      String bad = PairingResponse.create(forged, DeviceKeys.generate(), site, "mallory").encode();
      sendLine(at, bad);
      sendLine(at, "garbage");

      try (BackgroundCfost join = BackgroundCfost.start(dir, "--db", b, "device", "join", code, "--device-name",
          "phone")) {
        String asked = pair.awaitMatch(Pattern.compile("(new device [A-Z2-7-]{63} \\(phone\\))"));
        assertThat(asked).contains("phone");
        pair.type("y");
        assertThat(join.finish().ok()).startsWith("joined user alice as device ");
      }
      assertThat(pair.finish().ok()).contains("paired ").doesNotContain("mallory");
    }
  }

  @Test
  void aNewDeviceNameWithLineSeparatorsAndDirectionOverridesIsPrintedEscaped() throws Exception {
    alice(a);
    try (BackgroundCfost pair = BackgroundCfost.interactive(dir, "--db", a, "device", "pair", "--listen",
        "127.0.0.1:0", "--timeout", "90")) {
      String code = pair.awaitMatch(CODE);
      PairingChallenge real = PairingChallenge.decode(code);
      PeerAddress at = PeerAddress.parse(real.addresses().get(0));
      byte[] site = new byte[16];
      new SecureRandom().nextBytes(site);
      // A valid response (no control characters: those are refused) with a name that reorders the line.
      String response = PairingResponse.create(real, DeviceKeys.generate(), site, "ph\u202eo\u2028ne").encode();
      Thread answer = new Thread(() -> {
        try {
          sendLine(at, response);
        } catch (Exception e) {
          // the pairing process's output is what the test checks
        }
      });
      answer.start();
      pair.awaitMatch(Pattern.compile("(new device [A-Z2-7-]{63} \\(ph\\\\u202eo\\\\u2028ne\\))"));
      pair.type("y");
      answer.join(30_000);
      String out = pair.finish().ok();
      assertThat(out).containsPattern("paired [A-Z2-7-]{63} \\(ph\\\\u202eo\\\\u2028ne\\)");
    }
  }

  /**
   * A stranger on the LAN completes TLS and drips its "response" a byte a second, reconnecting as soon as it
   * is closed: each of its connections holds {@code device pair}'s only slot for the connection deadline at
   * most, and the real device joins meanwhile.
   */
  @Test
  void aDripFeedingStrangerDoesNotHoldThePairingSlotUntilTheCodeExpires() throws Exception {
    alice(a);
    try (BackgroundCfost pair = BackgroundCfost.interactive(dir, "--db", a, "device", "pair", "--listen",
        "127.0.0.1:0", "--timeout", "120")) {
      String code = pair.awaitMatch(CODE);
      PeerAddress at = PeerAddress.parse(PairingChallenge.decode(code).addresses().get(0));
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.List<Long> heldMillis = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
      Thread drip = new Thread(() -> {
        while (!stop.get()) {
          long start = System.nanoTime();
          try (SSLSocket s = (SSLSocket) TlsIdentity.anonymousContext().getSocketFactory().createSocket(at.host(),
              at.port())) {
            s.startHandshake(); // completes only once device pair took this connection
            start = System.nanoTime();
            holding.countDown();
            s.setSoTimeout(1_000);
            while (!stop.get()) {
              s.getOutputStream().write('x'); // never a line end
              s.getOutputStream().flush();
              try {
                if (s.getInputStream().read() < 0) {
                  break; // closed by device pair
                }
              } catch (java.net.SocketTimeoutException e) {
                // a second without an answer: drip on
              }
            }
          } catch (Exception e) {
            // closed by device pair: counted below, then connect again at once
          }
          if (!stop.get()) {
            heldMillis.add((System.nanoTime() - start) / 1_000_000);
          }
        }
      }, "drip");
      drip.setDaemon(true);
      drip.start();
      try {
        assertThat(holding.await(20, java.util.concurrent.TimeUnit.SECONDS)).as("the stranger holds the slot").isTrue();
        Thread.sleep(1_000);
        try (BackgroundCfost join = BackgroundCfost.start(dir, "--db", b, "device", "join", code, "--device-name",
            "phone")) {
          pair.awaitMatch(Pattern.compile("(new device [A-Z2-7-]{63} \\(phone\\))"));
          pair.type("y");
          assertThat(join.finish().ok()).startsWith("joined user alice as device ");
        }
        assertThat(pair.finish().ok()).contains("paired ");
        long until = System.nanoTime() + 20_000_000_000L;
        while (heldMillis.isEmpty() && System.nanoTime() < until) {
          Thread.sleep(100);
        }
      } finally {
        stop.set(true);
        drip.interrupt();
      }
      assertThat(heldMillis).as("how long each of the stranger's connections held the slot").isNotEmpty()
          .allMatch(ms -> ms < 8_000);
    }
  }

  @Test
  void theOwnerRefusingTheConfirmationPairsNothing() throws Exception {
    alice(a);
    try (BackgroundCfost pair = BackgroundCfost.interactive(dir, "--db", a, "device", "pair", "--listen",
        "127.0.0.1:0", "--timeout", "90")) {
      String code = pair.awaitMatch(CODE);
      try (BackgroundCfost join = BackgroundCfost.start(dir, "--db", b, "device", "join", code, "--device-name",
          "phone")) {
        pair.awaitMatch(Pattern.compile("(new device [A-Z2-7-]{63} \\(phone\\))"));
        pair.type("n");
        assertThat(join.finish().fails(1)).contains("refused");
      }
      pair.kill();
    }
    assertThat(local.run("--db", a, "device", "list").ok()).doesNotContain("phone");
  }

  @Test
  void theQrImageIsWrittenOwnerOnly() throws Exception {
    alice(a);
    Path png = dir.resolve("code.png");
    cfost.run("--db", a, "device", "pair", "--no-wait", "--png", png.toString()).ok();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(png))).isEqualTo("rw-------");
  }

  @Test
  void aDeviceThatJoinedOfflineTakesTheDatabaseIdItJoined() throws Exception {
    alice(a, "--database", "notes");
    String code = CODE.matcher(cfost.run("--db", a, "device", "pair", "--no-wait").ok()).results()
        .findFirst().orElseThrow().group(1);
    CfostProcess.Result joined = cfost.run("--db", b, "device", "join", code, "--device-name", "tablet");
    assertThat(joined.code()).isEqualTo(1);
    String response = RESPONSE.matcher(joined.out()).results().findFirst().orElseThrow().group(1);
    cfost.run("--db", a, "device", "approve", response).ok();
    assertThat(JSON.readTree(local.run("--db", b, "status", "--json").ok()).get("database_id").asText())
        .isEqualTo("notes");
  }
}
