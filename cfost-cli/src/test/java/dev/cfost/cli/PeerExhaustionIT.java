package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.net.TlsIdentity;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on a daemon before its peers are authorized, against a real child JVM with a small heap: the
 * attacker completes the TLS handshake (a database without identities accepts any certificate), then
 * abuses the framing. Network only on 127.0.0.1.
 */
class PeerExhaustionIT {
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  @TempDir Path dir;
  private final List<Process> spawned = new ArrayList<>();
  private final List<SSLSocket> attackers = new ArrayList<>();

  @AfterEach
  void killEverythingStarted() throws Exception {
    for (SSLSocket s : attackers) {
      s.close();
    }
    for (Process p : spawned) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private String replica(String name, String row) {
    Path path = dir.resolve(name + ".db");
    try (Cfost db = Cfost.open(path)) {
      db.setDatabaseId("cli-exhaust");
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
        db.replicate("todo");
        st.execute("INSERT INTO todo(id, title) VALUES " + row);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return path.toString();
  }

  @Test
  void fiftySilentConnectionsAnnouncingHugeFramesLeaveTheDaemonAbleToSync() throws Exception {
    String a = replica("a", "('a1', 'from a')");
    String b = replica("b", "('b1', 'from b')");
    // Without users, replicas share a sync key. The attackers hold it too (a replica's key leaked, or a
    // database with users, where TLS admits any key and authorization comes at hello): what is tested is
    // what a connection costs before its hello.
    dev.cfost.net.SyncKey key = dev.cfost.net.SyncKey.generate();
    key.save(Path.of(a));
    key.save(Path.of(b));
    CfostProcess cfost = new CfostProcess(dir);
    CfostProcess.Spawned daemon = cfost.jvmArg("-Xmx128m")
        .spawn("--db", a, "start", "--listen", "127.0.0.1:0", "--no-mdns");
    spawned.add(daemon.process());
    int port = awaitPort(daemon);

    SSLContext anyCert = TlsIdentity.forSyncKey(key).context();
    for (int i = 0; i < 50; i++) {
      SSLSocket s = (SSLSocket) anyCert.getSocketFactory().createSocket();
      attackers.add(s);
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.startHandshake();
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(64 << 20); // a 64 MiB frame is announced, then nothing follows
        out.flush();
      } catch (IOException e) {
        // the daemon may refuse or close some of them: that is a defence, not a failure
      }
    }
    Thread.sleep(2_000); // let the daemon take them all in

    CfostProcess.Result sync = new CfostProcess(dir).run("--db", b, "sync", "--peer", "127.0.0.1:" + port,
        "--once", "--timeout", "60");
    assertThat(sync.code()).as("sync exit code; stderr: %s; daemon stderr: %s", sync.err(), daemon.errText()).isZero();
    // Besides each side's row, the CLI's engines send their tables' definitions (schema sync).
    assertThat(sync.out()).matches("received [1-9]\\d* changes, sent [1-9]\\d* changes\n");
    try (Cfost db = Cfost.open(Path.of(b)); Connection c = db.connect(); Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT title FROM todo WHERE id = 'a1'")) {
      assertThat(rs.next() ? rs.getString(1) : null).as("a's row on b").isEqualTo("from a");
    }
    assertThat(daemon.process().isAlive()).as("the daemon survived; its stderr: %s", daemon.errText()).isTrue();
    assertThat(daemon.errText() + daemon.outText()).as("the daemon's output").doesNotContain("OutOfMemoryError");
    // None of them is kept: refused at once (frame too large before hello), or at the hello deadline.
    for (SSLSocket s : attackers) {
      assertThat(closedWithin(s, 20_000)).as("the daemon closed an attacker's connection").isTrue();
    }
  }

  private static boolean closedWithin(SSLSocket s, int millis) throws IOException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    byte[] buf = new byte[8192];
    while (System.nanoTime() < deadline) {
      try {
        s.setSoTimeout(200);
        if (s.getInputStream().read(buf) < 0) {
          return true;
        }
      } catch (java.net.SocketTimeoutException e) {
        // still open
      } catch (IOException e) {
        return true; // reset, or closed before the handshake finished
      }
    }
    return false;
  }

  private static int awaitPort(CfostProcess.Spawned daemon) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(daemon.outText() + daemon.errText());
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      assertThat(daemon.process().isAlive()).as("daemon running; stderr: %s", daemon.errText()).isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError("the daemon did not say where it listens: " + daemon.outText() + daemon.errText());
  }
}
