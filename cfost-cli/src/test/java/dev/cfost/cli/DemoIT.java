package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cfost demo} as a newcomer runs it: every step's key line, convergence, and nothing left behind. */
class DemoIT {
  @TempDir Path dir;

  @Test
  void theDemoShowsEveryStepConvergesAndFinishesInUnderAMinute() {
    CfostProcess cfost = new CfostProcess(dir); // the shaded jar, its output piped: plain text
    Path demo = dir.resolve("demo");
    long start = System.nanoTime();
    String out = cfost.run("demo", "--dir", demo.toString()).ok();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("the demo's run time").isLessThan(Duration.ofSeconds(60));
    assertThat(out).doesNotContain("\u001b[").endsWith("converged: yes\n");
    assertThat(out).contains("pairing code cfost-pair:", "the laptop approves: paired",
        "p2p: the phone has 3 rows and the document {\"items\":[\"milk\"]}",
        "alice logs in from both devices at http://127.0.0.1:",
        "t1's title: 'buy oat milk' from the laptop", "the later edit of that column wins",
        "t2 deleted: yes", "a delete beats an update of the row it deletes",
        "t3's done flag 1 from the phone, its title 'fix bike tyre' from the laptop", "each column merges on its own",
        "shopping {\"items\":[\"milk\",\"bread\",\"eggs\"]}",
        "v2 update on the phone: [{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"bread\"}]",
        "v3 update on the laptop: [{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"eggs\"}]",
        "undo on the laptop: {\"items\":[\"milk\",\"bread\"]} (version 4)",
        "the phone has it too: {\"items\":[\"milk\",\"bread\"]}",
        "time travel: version 1 {\"items\":[\"milk\"]}, version 3 {\"items\":[\"milk\",\"bread\",\"eggs\"]}");
    // The converged tables, once per device: t2 deleted on the phone while the laptop edited it.
    assertThat(out.lines().map(String::strip).filter(l -> l.matches("t2 +call mom.*"))).isEmpty();
    assertThat(out.lines().map(String::strip).filter(l -> l.matches("t1 +buy oat milk +0"))).hasSize(2);
    assertThat(out.lines().map(String::strip).filter(l -> l.matches("t3 +fix bike tyre +1"))).hasSize(2);
    assertThat(out.lines().map(String::strip).filter(l -> l.matches("t4 +water plants +0"))).hasSize(2);
    assertThat(demo.resolve("laptop.db")).isRegularFile();
    assertThat(demo.resolve("phone.db")).isRegularFile();
    assertThat(demo.resolve("server")).isDirectory();
    assertThat(cfost.run("demo", "--dir", demo.toString()).fails(1)).contains("already holds laptop.db");
  }

  @Test
  void theDemoClosesItsServerAndPeersAndWritesOnlyInItsFolder() throws Exception {
    CfostProcess cfost = CfostProcess.inThisJvm(dir); // in this JVM, so that its threads can be seen
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    Path demo = dir.resolve("demo");
    String out = cfost.run("demo", "--dir", demo.toString()).ok();
    assertThat(out).endsWith("converged: yes\n");

    Matcher url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+);").matcher(out);
    assertThat(url.find()).as("the server's address in: %s", out).isTrue();
    URI server = URI.create(url.group(1));
    assertThatThrownBy(() -> new Socket(server.getHost(), server.getPort()).close())
        .as("the demo's server still listens").isInstanceOf(ConnectException.class);
    assertThat(leftRunning(before)).as("threads the demo left running").isEmpty();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("demo");
    }
  }

  /**
   * The threads started since {@code before} that are still alive after a short grace period: any that
   * would keep a JVM running (not daemons), and any of CFOST's own but for the TCP transport's one
   * process-wide daemon timer. The JDK's HttpClient daemons are left out: on Java 17 a client cannot be
   * closed, its threads end when it is collected.
   */
  private static List<String> leftRunning(Set<Thread> before) throws InterruptedException {
    List<String> alive = List.of();
    for (int i = 0; i < 50; i++) {
      alive = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.isAlive() && !t.getName().equals("cfost-tcp-deadline"))
          .filter(t -> !t.isDaemon() || t.getName().startsWith("cfost-"))
          .map(Thread::getName).sorted().collect(Collectors.toList());
      if (alive.isEmpty()) {
        return alive;
      }
      Thread.sleep(100);
    }
    return alive;
  }
}
