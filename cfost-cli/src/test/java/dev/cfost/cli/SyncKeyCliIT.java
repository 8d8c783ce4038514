package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync key on the command line (docs/SECURITY.md): it can be given on stdin, so that it never shows in
 * {@code ps}, {@code /proc/PID/cmdline} or the shell's history; and a new key tells the owner that a running
 * daemon keeps the old one until it is restarted. Child processes for the commands under test; setup and
 * read-backs in this JVM through the same entry point (a child JVM costs about a second each).
 */
class SyncKeyCliIT {
  private static final String RESTART = "a running daemon keeps using the old key until it is restarted"
      + " ('cfost stop', then 'cfost start')";

  @TempDir Path dir;
  CfostProcess cfost;
  CfostProcess local;
  String a;
  String b;
  String c;

  @BeforeEach
  void paths() {
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
    a = dir.resolve("a.db").toString();
    b = dir.resolve("b.db").toString();
    c = dir.resolve("c.db").toString();
  }

  @Test
  void theSyncKeyIsReadFromTheFirstLineOfStdinWithADash() {
    local.run("--db", a, "init").ok();
    String key = cfost.run("--db", a, "sync-key").ok().strip(); // printed by a real process
    assertThat(key).matches("[0-9a-f]{64}");

    cfost.stdin(key + "\n").run("--db", b, "init", "--sync-key", "-").ok();
    assertThat(local.run("--db", b, "sync-key").ok().strip()).isEqualTo(key);

    local.run("--db", c, "init").ok();
    assertThat(cfost.stdin(key + "\r\nignored\n").run("--db", c, "sync-key", "set", "-").ok()).contains(RESTART);
    assertThat(local.run("--db", c, "sync-key").ok().strip()).isEqualTo(key);

    assertThat(cfost.stdin("").run("--db", c, "sync-key", "set", "-").fails(2)).contains("stdin is empty");
    assertThat(cfost.stdin("not a key\n").run("--db", c, "sync-key", "set", "-").fails(2)).doesNotContain("not a key");
    // The argument form still works (its risk is documented).
    assertThat(cfost.stdin("").run("--db", c, "sync-key", "set", key).ok()).contains(RESTART);
  }

  @Test
  void aNewKeySaysThatARunningDaemonMustBeRestarted() {
    local.run("--db", a, "init").ok();
    assertThat(cfost.run("--db", a, "sync-key", "new").ok()).contains(RESTART);
  }
}
