package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.net.SyncKey;
import dev.cfost.net.TlsIdentity;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attacker on the LAN against databases without users (issue 10, items 1 and 10): it knows the database
 * id (mDNS announces its topic) but not the sync key. Child processes (setup and read-backs in this JVM);
 * network on 127.0.0.1 only.
 */
class LanAttackCliIT {
  private static final String TASK_LIST_DDL = "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)";
  private static final Pattern STARTED = Pattern.compile("listening on ([^\\s:]+):(\\d+)\nstarted, pid (\\d+), log (.+)\n");

  @TempDir Path dir;
  CfostProcess cfost;
  /** Setup and read-backs, in this JVM through the same entry point: a child JVM costs about a second each. */
  CfostProcess local;
  private final List<Long> daemons = new ArrayList<>();

  @BeforeEach
  void setUp() {
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
  }

  @AfterEach
  void killDaemons() {
    for (long pid : daemons) {
      ProcessHandle.of(pid).ifPresent(h -> {
        h.destroyForcibly();
        h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
      });
    }
  }

  private String replica(String name, String row) {
    String db = dir.resolve(name + ".db").toString();
    local.run("--db", db, "init", "--database", "cli-sync").ok();
    local.run("--db", db, "sql", TASK_LIST_DDL + "; INSERT INTO todo VALUES " + row).ok();
    local.run("--db", db, "replicate", "todo").ok();
    return db;
  }

  private String startDaemon(String db) {
    CfostProcess.Result r = cfost.run("--db", db, "start", "--daemon", "--listen", "127.0.0.1:0", "--no-mdns");
    Matcher m = STARTED.matcher(r.out());
    assertThat(m.find()).as(r.out() + r.err()).isTrue();
    daemons.add(Long.parseLong(m.group(3)));
    return "127.0.0.1:" + m.group(2);
  }

  private String todos(String db) {
    return local.run("--db", db, "sql", "--json", "SELECT * FROM todo ORDER BY id").ok();
  }

  @Test
  void aPeerOfTheSameDatabaseIdWithoutTheSyncKeyNeitherReadsNorWrites() {
    String victim = replica("victim", "('v1', 'secret of the victim')");
    String attacker = replica("attacker", "('x1', 'planted by the attacker')");
    String address = startDaemon(victim);

    CfostProcess.Result r = cfost.run("--db", attacker, "sync", "--peer", address, "--once", "--timeout", "15");

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(todos(attacker)).doesNotContain("secret of the victim");
    assertThat(todos(victim)).doesNotContain("planted by the attacker");
  }

  /** The TLS identity a fake peer of {@code victimDb} presents: one that passes the victim's TLS checks. */
  private static SSLContext fakePeerTls(String victimDb) throws Exception {
    // It knows the victim's sync key: what it sends is text from a peer the victim trusts.
    return TlsIdentity.forSyncKey(SyncKey.load(Path.of(victimDb)).orElseThrow()).context();
  }

  @Test
  void controlCharactersSentByAPeerNeverReachTheTerminal() throws Exception {
    String victim = replica("victim", "('v1', 'x')");
    try (SSLServerSocket server = (SSLServerSocket) fakePeerTls(victim).getServerSocketFactory().createServerSocket()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread fake = new Thread(() -> {
        try (SSLSocket s = (SSLSocket) server.accept()) {
          s.startHandshake();
          Map<String, Object> error = new LinkedHashMap<>();
          error.put("type", "error");
          error.put("code", "evil\u001b[2J");
          error.put("message", "\u001b]0;owned\u0007\r\ncfost: forged line\u009b31m");
          byte[] frame = new ObjectMapper().writeValueAsBytes(error);
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          out.writeInt(frame.length);
          out.write(frame);
          out.flush();
          Thread.sleep(3_000);
        } catch (Exception e) {
          // the test's assertions tell what went wrong
        }
      });
      fake.setDaemon(true);
      fake.start();

      CfostProcess.Result r = cfost.run("--db", victim, "sync", "--peer", "127.0.0.1:" + server.getLocalPort(),
          "--once", "--timeout", "15");

      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).contains("owned").doesNotContain("\u001b").doesNotContain("\u0007")
          .doesNotContain("\r").doesNotContain("\u009b");
      assertThat(r.errLines()).hasSize(1);
    }
  }
}
