package dev.cfost;

import static dev.cfost.DocumentsTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revisions travel through the engine's change exchange and are placed in merge order on arrival. */
class DocumentReplicationTest {
  @TempDir Path dir;
  final AtomicLong clockA = new AtomicLong(1_800_000_000_000L);
  final AtomicLong clockB = new AtomicLong(1_800_000_000_000L);

  private Cfost open(String name, AtomicLong clock, int site) {
    return TestDb.openAsSite(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO)
        .wallClock(clock::get).build(), site);
  }

  @Test
  void aRevisionThatArrivesLateIsPlacedByRewindingAndReplaying() {
    try (Cfost a = open("a.db", clockA, 1); Cfost b = open("b.db", clockB, 2)) {
      Documents alice = a.documents("alice");
      Documents bob = b.documents("bob");
      alice.create("d", "T", json("{'list':[0,1,2],'a':0}"));
      TestDb.pull(b, a, 100);
      clockA.addAndGet(5);
      alice.update("d", json("[{'op':'replace','path':'/a','value':1}]"));
      clockB.addAndGet(10);
      bob.update("d", json("[{'op':'add','path':'/list/0','value':'b'}]"));
      clockA.addAndGet(15);
      alice.update("d", json("[{'op':'add','path':'/list/-','value':'x'}]"));
      assertThat(alice.get("d").orElseThrow().version()).isEqualTo(3);

      TestDb.pull(a, b, 100);
      TestDb.pull(b, a, 100);
      for (Documents docs : List.of(alice, bob)) {
        Document d = docs.get("d").orElseThrow();
        assertThat(d.content()).isEqualTo(json("{'list':['b',0,1,2,'x'],'a':1}"));
        assertThat(docs.history("d")).extracting(Revision::user).containsExactly("alice", "alice", "bob", "alice");
      }
      assertThat(alice.at("d", 3).content()).isEqualTo(json("{'list':['b',0,1,2],'a':1}"));
      assertThat(alice.history("d")).isEqualTo(bob.history("d"));
    }
  }

  @Test
  void aRunOfRevisionsIsOneRowAndAnotherDevicesRevisionInsideItIsPlacedBetweenItsRevisions() throws Exception {
    try (Cfost a = open("a.db", clockA, 1); Cfost b = open("b.db", clockB, 2)) {
      Documents alice = a.documents("alice");
      Documents bob = b.documents("bob");
      alice.create("d", "T", json("{'list':[]}"));
      TestDb.pull(b, a, 100);
      // the same wall clock: alice's run takes the next counters, bob's edit falls between her second and third
      alice.updateEach("d", List.of(json("[{'op':'add','path':'/list/-','value':1}]"),
          json("[{'op':'add','path':'/list/-','value':2}]"), json("[{'op':'add','path':'/list/-','value':3}]"),
          json("[{'op':'replace','path':'/list/0','value':'one'}]"), json("[{'op':'add','path':'/list/-','value':5}]")));
      bob.update("d", json("[{'op':'add','path':'/list/0','value':'b'}]"));
      try (var c = a.connect(); var rs = c.createStatement().executeQuery("SELECT count(*) FROM document_revisions")) {
        assertThat(rs.getLong(1)).as("the create and one run").isEqualTo(2);
      }

      TestDb.pull(a, b, 100);
      TestDb.pull(b, a, 100);
      for (Documents docs : List.of(alice, bob)) {
        assertThat(docs.history("d")).extracting(Revision::user)
            .containsExactly("alice", "alice", "alice", "bob", "alice", "alice", "alice");
        assertThat(docs.get("d").orElseThrow().content()).isEqualTo(json("{'list':['one',1,2,3,5]}"));
      }
      List<Revision> history = alice.history("d");
      assertThat(history).isEqualTo(bob.history("d"));
      assertThat(history).extracting(Revision::id).doesNotHaveDuplicates();
      assertThat(alice.at("d", 4).content()).isEqualTo(json("{'list':['b',1,2]}"));
      assertThat(bob.at("d", 5).content()).isEqualTo(json("{'list':['b',1,2,3]}"));
      assertThat(bob.audit(java.time.Instant.EPOCH)).extracting(Revision::id)
          .containsExactlyElementsOf(history.stream().map(Revision::id).toList());
      alice.undo("d"); // the run's last revision, alone
      assertThat(alice.get("d").orElseThrow().content()).isEqualTo(json("{'list':['one',1,2,3]}"));
    }
  }

  @Test
  void aPatchThatNoLongerAppliesBecomesARecordedNoOpOnEveryReplica() {
    try (Cfost a = open("a.db", clockA, 1); Cfost b = open("b.db", clockB, 2)) {
      Documents alice = a.documents("alice");
      Documents bob = b.documents("bob");
      alice.create("d", "T", json("{'list':[0,1,2]}"));
      TestDb.pull(b, a, 100);
      clockA.addAndGet(5);
      alice.update("d", json("[{'op':'remove','path':'/list/2'}]"));
      clockB.addAndGet(10);
      bob.update("d", json("[{'op':'replace','path':'/list/2','value':'two'}]"));
      TestDb.pull(a, b, 100);
      TestDb.pull(b, a, 100);
      for (Documents docs : List.of(alice, bob)) {
        assertThat(docs.get("d").orElseThrow().content()).isEqualTo(json("{'list':[0,1]}"));
        Revision last = docs.history("d").get(2);
        assertThat(last.user()).isEqualTo("bob");
        assertThat(last.applied()).isFalse();
        assertThat(last.reason()).contains("/list/2").contains("does not exist");
        assertThat(last.reverse()).isNull();
      }
      assertThat(alice.history("d")).isEqualTo(bob.history("d"));
    }
  }

  @Test
  void anUndoThatMeetsAConcurrentEditOfTheSameValueBecomesANoOp() {
    try (Cfost a = open("a.db", clockA, 1); Cfost b = open("b.db", clockB, 2)) {
      Documents alice = a.documents("alice");
      Documents bob = b.documents("bob");
      alice.create("d", "T", json("{'title':'x'}"));
      clockA.addAndGet(1);
      alice.update("d", json("[{'op':'replace','path':'/title','value':'y'}]"));
      TestDb.pull(b, a, 100);
      clockB.addAndGet(5);
      bob.update("d", json("[{'op':'replace','path':'/title','value':'z'}]"));
      clockA.addAndGet(10);
      alice.undo("d"); // alice has not seen bob's edit: locally it is fine
      TestDb.pull(a, b, 100);
      TestDb.pull(b, a, 100);
      for (Documents docs : List.of(alice, bob)) {
        assertThat(docs.get("d").orElseThrow().content()).as("bob's later edit survives").isEqualTo(json("{'title':'z'}"));
        Revision undo = docs.history("d").get(3);
        assertThat(undo.kind()).isEqualTo(Revision.Kind.UNDO);
        assertThat(undo.applied()).isFalse();
        assertThat(undo.reason()).contains("test failed");
      }
    }
  }

  @Test
  void aMalformedRevisionFromAPeerIsSkippedAndTheRestFolds() {
    try (Cfost a = open("a.db", clockA, 1); Cfost b = open("b.db", clockB, 2)) {
      Documents alice = a.documents("alice");
      Documents bob = b.documents("bob");
      bob.create("d", "T", json("{'a':1}"));
      String good = TestDb.dump(b, "document_revisions").get(0);
      TestDb.sql(b, "INSERT INTO document_revisions(id, body) VALUES (5, 'not json')",
          "INSERT INTO document_revisions(id, body) VALUES (6, '[1,\"d\",1,\"AAAAAAAAAAAAAAAAAAAAAA\",\"m\",\"u\",\"p\",null,[[\"-\",\"/a\"]],null,0]')");
      TestDb.pull(a, b, 100);
      assertThat(TestDb.dump(a, "document_revisions")).hasSize(3).contains(good);
      assertThat(alice.get("d").orElseThrow().content()).isEqualTo(json("{'a':1}"));
      assertThat(alice.history("d")).hasSize(1);
    }
  }
}
