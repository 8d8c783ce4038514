package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.internal.PackedKey;
import dev.cfost.Revision;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge stores revision rows in key order (a hash), not in time order: a replica that folds them in
 * windows smaller than the merge rewinds across windows, and must end with the writer's history all the
 * same; windows are bounded by the revisions their rows hold (a run says how many) as well as by changes.
 */
class FoldWindowTest {
  @TempDir Path dir;

  private Cfost open(String name) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).build());
  }

  @Test
  void revisionsMergedInKeyOrderFoldAcrossWindowsIntoTheWritersHistory() {
    AtomicLong clockA = new AtomicLong(1L << 40);
    AtomicLong clockB = new AtomicLong(1L << 40);
    try (Cfost a = open("a.db"); Cfost b = open("b.db"); Cfost c = open("c.db");
        DocumentStore writer = new DocumentStore(a, clockA::incrementAndGet, 10, 50);
        DocumentStore reader = new DocumentStore(b, clockB::incrementAndGet, 10, 50);
        DocumentStore byRevisions = new DocumentStore(c, clockB::incrementAndGet, 10, FoldWindow.CHANGES, 20)) {
      Documents alice = writer.forUser("alice");
      alice.create("d", "T", Json.parse("{\"t\":[]}", "json"));
      Random r = new Random(3);
      List<JsonNode> patches = new ArrayList<>();
      int size = 0;
      for (int i = 0; i < 300; i++) {
        if (size > 0 && r.nextInt(4) == 0) {
          patches.add(Json.parse("[{\"op\":\"remove\",\"path\":\"/t/" + r.nextInt(size) + "\"}]", "patch"));
          size--;
        } else {
          patches.add(Json.parse("[{\"op\":\"add\",\"path\":\"/t/" + r.nextInt(size + 1) + "\",\"value\":" + i
              + "}]", "patch"));
          size++;
        }
      }
      for (int i = 0; i < 150; i++) { // rows of one revision, then runs of 7
        alice.update("d", patches.get(i));
      }
      for (int i = 150; i < 300; i += 7) {
        alice.updateEach("d", patches.subList(i, Math.min(300, i + 7)));
      }

      for (Cfost to : List.of(b, c)) {
        Cursor cursor = to.peerCursor(a.siteId());
        while (true) { // all in one merge
          ChangeBatch batch = a.changes(cursor, 1000);
          to.merge(batch.changes());
          cursor = batch.next();
          to.savePeerCursor(a.siteId(), cursor);
          if (batch.caughtUp()) {
            break;
          }
        }
      }

      for (long bound : new long[] {20, 5}) { // 5: each run alone is past the bound, and taken alone
        List<Long> held = new ArrayList<>();
        Cursor at = Cursor.START;
        FoldWindow w;
        do {
          w = FoldWindow.read(b, at, FoldWindow.CHANGES, bound);
          held.add(w.changes().stream().filter(ch -> "body".equals(ch.cid()))
              .mapToLong(ch -> RevisionRun.revisionsIn(ch.val())).sum());
          at = w.next();
        } while (!w.caughtUp());
        assertThat(held.stream().mapToLong(Long::longValue).sum()).as("bound %d", bound).isEqualTo(301);
        assertThat(held).as("bound %d", bound).allMatch(n -> n <= Math.max(bound, 7));
        assertThat(held.size()).as("bound %d", bound).isGreaterThanOrEqualTo((int) (301 / Math.max(bound, 7)));
      }

      Documents bob = reader.forUser("bob");
      Document got = bob.get("d").orElseThrow();
      assertThat(got.version()).isEqualTo(301);
      assertThat(got.content()).isEqualTo(alice.get("d").orElseThrow().content());
      assertThat(bob.history("d")).extracting(Revision::id)
          .containsExactlyElementsOf(alice.history("d").stream().map(Revision::id).toList());
      assertThat(bob.history("d")).allMatch(Revision::applied);
      for (int v = 1; v <= 301; v += 13) {
        assertThat(bob.at("d", v).content()).as("version %d", v).isEqualTo(alice.at("d", v).content());
      }
      Documents carol = byRevisions.forUser("carol"); // windows of 20 revisions at most
      assertThat(carol.history("d")).isEqualTo(bob.history("d"));
    }
  }

  @Test
  void aRunClaimingMoreRevisionsThanARunHoldsDoesNotShrinkTheWindowsOfTheRowsAroundIt() throws Exception {
    try (Cfost db = open("claims.db");
        DocumentStore store = new DocumentStore(db, new AtomicLong(1L << 40)::incrementAndGet)) {
      try (Connection c = db.connect(); PreparedStatement ps =
          c.prepareStatement("INSERT INTO document_revisions(id, body) VALUES (?, ?)")) {
        c.setAutoCommit(false);
        for (long i = 0; i < 70; i++) { // a few bytes each, claiming 65,535 revisions: decoding refuses them
          ps.setLong(1, i);
          ps.setBytes(2, new byte[] {RevisionRun.FORMAT, (byte) 0xff, (byte) 0xff, 1});
          ps.executeUpdate();
        }
        c.commit();
      }
      List<Integer> windows = new ArrayList<>();
      Cursor at = Cursor.START;
      FoldWindow w;
      do {
        w = FoldWindow.read(db, at, FoldWindow.CHANGES, FoldWindow.REVISIONS);
        windows.add(w.changes().size());
        at = w.next();
      } while (!w.caughtUp());
      assertThat(windows).as("changes per window").containsExactly(70);
    }
  }

  @Test
  void aFirstBatchPastTheBoundIsReadAgainUpToAWholeRowThatFits() throws Exception {
    try (Cfost db = open("rows.db");
        DocumentStore store = new DocumentStore(db, new AtomicLong(1L << 40)::incrementAndGet)) {
      byte[] threeRevisions = {RevisionRun.FORMAT, 0, 3, 1}; // only its count matters to a window
      try (Connection c = db.connect(); PreparedStatement ps =
          c.prepareStatement("INSERT INTO document_revisions(id, body) VALUES (?, ?)")) {
        for (long id : new long[] {1, 2}) {
          ps.setLong(1, id);
          ps.setBytes(2, threeRevisions);
          ps.executeUpdate();
        }
        db.capture();
        // deleted and written again: the row's changes are a sentinel, then its body
        c.createStatement().executeUpdate("DELETE FROM document_revisions WHERE id = 2");
        db.capture();
        ps.setLong(1, 2);
        ps.setBytes(2, threeRevisions);
        ps.executeUpdate();
      }
      List<List<String>> windows = new ArrayList<>();
      Cursor at = Cursor.START;
      FoldWindow w;
      do {
        w = FoldWindow.read(db, at, FoldWindow.CHANGES, 5);
        windows.add(w.changes().stream().map(ch -> PackedKey.unpack(ch.pk()) + ":" + ch.cid()).toList());
        at = w.next();
      } while (!w.caughtUp());
      assertThat(windows).as("a window of 5 revisions at most").containsExactly(
          List.of("[1]:body"), List.of("[2]:" + dev.cfost.Change.SENTINEL, "[2]:body"));
    }
  }
}
