package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.DocumentException;
import dev.cfost.DocumentQuery;
import dev.cfost.Documents;
import dev.cfost.Revision;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revision row that a peer (any authorized device, or any app with SQL on it) writes, updates or
 * deletes in the replicated document_revisions must not wedge the documents of a replica: the fold
 * places what it can and keeps working.
 */
class DocumentPoisonTest {
  @TempDir Path dir;
  private final AtomicLong clock = new AtomicLong(1L << 40);

  @Test
  void aLateRevisionRewindsPastADeletedRevisionRowFromTheLocalHistory() throws Exception {
    try (Cfost db = open("a.db"); DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
      Documents docs = store.forUser("u");
      long[] firstHlcAndSecondId = createWithTwoRevisions(store);
      // a replicated delete: it reaches every replica
      sql(db, "DELETE FROM document_revisions WHERE id = ?", firstHlcAndSecondId[1]);
      docs.get("d"); // the delete alone folds fine
      insert(db, lateAddOfC(firstHlcAndSecondId[0]));
      assertThatCode(() -> docs.get("d")).as("the fold must survive a missing revision row").doesNotThrowAnyException();
      assertThat(docs.get("d").orElseThrow().content()).isEqualTo(Json.parse("{\"a\":1,\"b\":2,\"c\":3}", "x"));
      assertThat(docs.history("d")).hasSize(3).allMatch(Revision::applied);
      assertThat(docs.at("d", 2).content()).isEqualTo(Json.parse("{\"a\":1,\"c\":3}", "x"));
    }
  }

  @Test
  void aRevisionWithAnOutOfRangeNumberIsSkippedAndTheDocumentStaysUsable() throws Exception {
    long hlc = (1L << 40) + 100;
    // As a peer's row: a test whose value is 1e400 (Jackson reads it as a double, Infinity).
    String body = "[1,\"d\"," + hlc + ",\"" + java.util.Base64.getEncoder().withoutPadding().encodeToString(otherSite())
        + "\",\"v\",\"u\",\"p\",null,[[\"?\",\"/a\",1e400]],null,0]";
    aPeersRowLeavesTheDocumentUsable("b.db", hlc, body);
  }

  @Test
  void anUpdatedRevisionBodyChangesNeitherTheHistoryNorLaterRewinds() throws Exception {
    try (Cfost db = open("c.db"); DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
      Documents docs = store.forUser("u");
      long[] firstHlcAndSecondId = createWithTwoRevisions(store);
      RevisionRecord second = revisionAt(store, 2);
      RevisionRecord rewritten = new RevisionRecord("d", second.hlc(), second.site(), "u", RevisionRecord.Kind.UPDATE,
          RevisionRecord.Action.PATCH, null, null,
          JsonPatch.parse(Json.parse("[{\"op\":\"add\",\"path\":\"/z\",\"value\":9}]", "p")),
          JsonPatch.parse(Json.parse("[{\"op\":\"remove\",\"path\":\"/z\"}]", "p")), 0);
      assertThat(sql(db, "UPDATE document_revisions SET body = ? WHERE id = ?", rewritten.encode(), second.id()))
          .isEqualTo(1);
      insert(db, lateAddOfC(firstHlcAndSecondId[0]));
      assertThat(docs.get("d").orElseThrow().content()).isEqualTo(Json.parse("{\"a\":1,\"b\":2,\"c\":3}", "x"));
      assertThat(docs.history("d").get(2).patch()).isEqualTo(
          Json.parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "x"));
    }
  }

  @Test
  void aRunRowDeletedByAPeerStaysInTheHistoryAndALateRevisionRewindsPastItsRevisions() throws Exception {
    try (Cfost db = open("g.db"); DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
      Documents docs = store.forUser("u");
      docs.create("d", "T", Json.parse("{\"a\":1}", "json"));
      docs.updateEach("d", java.util.List.of(Json.parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "p"),
          Json.parse("[{\"op\":\"add\",\"path\":\"/e\",\"value\":5}]", "p")));
      long createHlc = revisionAt(store, 1).hlc();
      assertThat(sql(db, "DELETE FROM document_revisions WHERE id = ?", revisionAt(store, 2).id())).isEqualTo(1);
      docs.get("d");
      insert(db, lateAddOfC(createHlc));
      assertThat(docs.get("d").orElseThrow().content())
          .isEqualTo(Json.parse("{\"a\":1,\"b\":2,\"c\":3,\"e\":5}", "x"));
      assertThat(docs.history("d")).hasSize(4).allMatch(Revision::applied);
      assertThat(docs.at("d", 3).content()).isEqualTo(Json.parse("{\"a\":1,\"b\":2,\"c\":3}", "x"));
    }
  }

  @Test
  void aMalformedRunFromAPeerIsSkippedAndTheDocumentStaysUsable() throws Exception {
    aPeersRowLeavesTheDocumentUsable("h.db", (1L << 40) + 100, new byte[] {RevisionRun.FORMAT, 1, 2, 3});
  }

  /**
   * A row of another site at {@code hlc} holding {@code body}, which cannot apply or is not a revision at all:
   * the fold gets past it, the history does not grow, and the next edit is version 2.
   */
  private void aPeersRowLeavesTheDocumentUsable(String file, long hlc, Object body) throws Exception {
    try (Cfost db = open(file); DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
      Documents docs = store.forUser("u");
      docs.create("d", "T", Json.parse("{\"a\":1}", "json"));
      sql(db, "INSERT INTO document_revisions(id, body) VALUES (?, ?)", RevisionRecord.key(otherSite(), hlc), body);
      assertThatCode(() -> docs.get("d")).as("a row that cannot fold must be a no-op or skipped, not wedge the fold")
          .doesNotThrowAnyException();
      assertThat(docs.history("d")).hasSize(1);
      docs.update("d", Json.parse("[{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]", "patch"));
      assertThat(docs.get("d").orElseThrow().version()).isEqualTo(2);
    }
  }

  @Test
  void anInfiniteNumberFromTheCallerIsRefusedAsInvalidNamingWhere() throws Exception {
    try (Cfost db = open("e.db");
        DocumentStore store = new DocumentStore(db, System::currentTimeMillis, 10)) {
      Documents docs = store.forUser("u");
      docs.create("d", "T", Json.parse("{\"a\":1}", "json"));
      ObjectNode op = JsonNodeFactory.instance.objectNode().put("op", "test").put("path", "/a")
          .put("value", Double.POSITIVE_INFINITY);
      ArrayNode patch = JsonNodeFactory.instance.arrayNode().add(op);
      assertThatThrownBy(() -> docs.update("d", patch)).isInstanceOf(DocumentException.class)
          .hasMessageContaining("out of range at '/0/value'")
          .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.INVALID);
      assertThatThrownBy(() -> docs.list(DocumentQuery.ALL.where("/a", DoubleNode.valueOf(Double.NaN))))
          .isInstanceOf(DocumentException.class).hasMessageContaining("out of range")
          .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.INVALID);
      assertThatThrownBy(() -> docs.create("e", "T", JsonNodeFactory.instance.objectNode()
          .put("x", Double.NEGATIVE_INFINITY))).isInstanceOf(DocumentException.class)
          .hasMessageContaining("out of range at '/x'");
      assertThat(docs.list(DocumentQuery.ALL.where("/a", DoubleNode.valueOf(1.0)))).hasSize(1);
      assertThat(docs.history("d")).hasSize(1);
    }
  }

  @Test
  void aLocalHistoryOfAnOlderFormIsRefoldedFromTheRevisionsAtOpen() throws Exception {
    try (Cfost db = open("f.db")) {
      try (DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
        createWithTwoRevisions(store);
        try (Statement s = store.conn.createStatement()) { // the layout of files made before runs were kept
          s.execute("ALTER TABLE cfost_doc_order DROP COLUMN run");
        }
      }
      try (DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
        Documents docs = store.forUser("u");
        assertThat(docs.get("d").orElseThrow().content()).isEqualTo(Json.parse("{\"a\":1,\"b\":2}", "x"));
        assertThat(docs.history("d")).hasSize(2).allMatch(Revision::applied);
        assertThat(docs.at("d", 1).content()).isEqualTo(Json.parse("{\"a\":1}", "x"));
      }
    }
  }

  @Test
  void aRunRepeatingAnotherRowsSiteAndClockFoldsTheSameWhetherTheRowsArriveTogetherOrApart() throws Exception {
    long h = (1L << 40) + 100;
    RevisionRecord create = new RevisionRecord("d", h, otherSite(), "v", RevisionRecord.Kind.CREATE,
        RevisionRecord.Action.CREATE, "T", Json.parse("{\"x\":0}", "x"), null, null, 0);
    RevisionRecord lone = replaceX(h + 2, 1);
    RevisionRun.Builder run = new RevisionRun.Builder();
    run.add(new RevisionRecord("d", h + 1, otherSite(), "v", RevisionRecord.Kind.UPDATE, RevisionRecord.Action.PATCH,
        null, null, JsonPatch.parse(Json.parse("[{\"op\":\"add\",\"path\":\"/y\",\"value\":1}]", "p")), null, 0));
    run.add(replaceX(h + 2, 2)); // the lone row's site and clock again, with another patch
    try (Cfost a = open("p.db"); DocumentStore sa = new DocumentStore(a, clock::incrementAndGet, 10);
        Cfost b = open("q.db"); DocumentStore sb = new DocumentStore(b, clock::incrementAndGet, 10)) {
      for (Cfost db : new Cfost[] {a, b}) {
        insert(db, create);
      }
      sa.forUser("u").get("d");
      sb.forUser("u").get("d");
      insert(a, lone); // a folds the two rows apart
      sa.forUser("u").get("d");
      sql(a, "INSERT INTO document_revisions(id, body) VALUES (?, ?)", run.key(), run.body());
      insert(b, lone); // b folds them together
      sql(b, "INSERT INTO document_revisions(id, body) VALUES (?, ?)", run.key(), run.body());
      assertThat(sb.forUser("u").get("d").orElseThrow().content())
          .isEqualTo(sa.forUser("u").get("d").orElseThrow().content());
      assertThat(sb.forUser("u").history("d")).extracting(Revision::patch)
          .isEqualTo(sa.forUser("u").history("d").stream().map(Revision::patch).toList());
    }
  }

  private static RevisionRecord replaceX(long hlc, int x) {
    return new RevisionRecord("d", hlc, otherSite(), "v", RevisionRecord.Kind.UPDATE, RevisionRecord.Action.PATCH,
        null, null, JsonPatch.parse(Json.parse("[{\"op\":\"replace\",\"path\":\"/x\",\"value\":" + x + "}]", "p")),
        null, 0);
  }

  private Cfost open(String file) {
    return Cfost.open(CfostOptions.builder(dir.resolve(file)).captureInterval(Duration.ZERO).build());
  }

  /** Document d: a create, then an update adding /b; returns the create's time and the update's id. */
  private static long[] createWithTwoRevisions(DocumentStore store) throws Exception {
    Documents docs = store.forUser("u");
    docs.create("d", "T", Json.parse("{\"a\":1}", "json"));
    docs.update("d", Json.parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "patch"));
    return new long[] {revisionAt(store, 1).hlc(), revisionAt(store, 2).id()};
  }

  /** The revision at a version of document d's local history. */
  static RevisionRecord revisionAt(DocumentStore store, long version) throws Exception {
    try (PreparedStatement ps = store.conn.prepareStatement("SELECT run, idx FROM cfost_doc_order o"
        + " JOIN cfost_doc_heads h ON h.ord = o.ord WHERE h.doc = 'd' AND o.pos = ?")) {
      ps.setLong(1, version);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("version " + version + " of d").isTrue();
        synchronized (store) {
          return store.runs.revision(rs.getLong(1), rs.getInt(2));
        }
      }
    }
  }

  private static byte[] otherSite() {
    byte[] site = new byte[16];
    Arrays.fill(site, (byte) 0xff);
    return site;
  }

  /** Another device's revision adding /c at {@code hlc}: with a greater site, it goes right after it. */
  private static RevisionRecord lateAddOfC(long hlc) {
    return new RevisionRecord("d", hlc, otherSite(), "v", RevisionRecord.Kind.UPDATE, RevisionRecord.Action.PATCH,
        null, null, JsonPatch.parse(Json.parse("[{\"op\":\"add\",\"path\":\"/c\",\"value\":3}]", "p")), null, 0);
  }

  private static void insert(Cfost db, RevisionRecord r) throws Exception {
    sql(db, "INSERT INTO document_revisions(id, body) VALUES (?, ?)", r.id(), r.encode());
  }

  /** A write on a connection of its own, as an application's or a peer's: it is captured and replicated. */
  private static int sql(Cfost db, String sql, Object... args) throws Exception {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }
}
