package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The document collection on one replica: each call, its history and its refusals. */
class DocumentsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  Cfost db;
  Documents alice;

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @BeforeEach
  void open() {
    db = TestDb.open(dir.resolve("a.db"));
    alice = db.documents("alice");
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void createGivesAnIdAndVersionOne() {
    Document d = alice.create("Shopping", json("{'items':['milk']}"));
    assertThat(d.id()).isNotBlank();
    assertThat(d.version()).isEqualTo(1);
    assertThat(d.title()).isEqualTo("Shopping");
    assertThat(d.createdBy()).isEqualTo("alice");
    assertThat(alice.get(d.id()).orElseThrow().content()).isEqualTo(json("{'items':['milk']}"));
  }

  @Test
  void updateAppliesAPatchAndRecordsItsReverse() {
    Document d = alice.create("doc-1", "Tasks", json("{'status':'pending','tags':['a']}"));
    Document u = alice.update(d.id(), json("[{'op':'replace','path':'/status','value':'done'},"
        + "{'op':'add','path':'/tags/-','value':'b'}]"));
    assertThat(u.version()).isEqualTo(2);
    assertThat(u.content()).isEqualTo(json("{'status':'done','tags':['a','b']}"));
    List<Revision> h = alice.history("doc-1");
    assertThat(h).extracting(Revision::kind).containsExactly(Revision.Kind.CREATE, Revision.Kind.UPDATE);
    assertThat(h.get(0).reverse()).as("a create has no reverse").isNull();
    assertThat(h.get(1).reverse()).isEqualTo(json("[{'op':'remove','path':'/tags/1'},"
        + "{'op':'replace','path':'/status','value':'pending'}]"));
    assertThat(h.get(1).user()).isEqualTo("alice");
    assertThat(h.get(1).device()).isEqualTo(java.util.HexFormat.of().formatHex(db.siteId()));
    assertThat(h.get(1).paths()).containsExactly("/status", "/tags/-");
    assertThat(h.get(1).hlc()).isGreaterThan(h.get(0).hlc());
  }

  @Test
  void aLongHistoryIsReadAPageAtATime() {
    alice.create("doc-1", "T", json("{'n':0}"));
    for (int i = 1; i <= 6; i++) {
      alice.update("doc-1", json("[{'op':'replace','path':'/n','value':" + i + "}]"));
    }
    assertThat(alice.history("doc-1", 1, 3)).extracting(Revision::version).containsExactly(1L, 2L, 3L);
    assertThat(alice.history("doc-1", 6, 3)).extracting(Revision::version).containsExactly(6L, 7L);
    assertThat(alice.history("doc-1", 8, 3)).isEmpty();
    assertThat(alice.history("doc-1", 4, 1).get(0).patch()).isEqualTo(json("[{'op':'replace','path':'/n','value':3}]"));
    assertThatThrownBy(() -> alice.history("doc-1", 0, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("from 0");
    assertThatThrownBy(() -> alice.history("nowhere", 1, 3)).isInstanceOf(DocumentException.class);
  }

  @Test
  void aPatchThatDoesNotApplyIsRefusedAndNothingIsWritten() {
    alice.create("doc-1", "T", json("{'a':1}"));
    assertThatThrownBy(() -> alice.update("doc-1", json("[{'op':'replace','path':'/a','value':2},"
        + "{'op':'remove','path':'/missing'}]")))
        .isInstanceOf(DocumentException.class)
        .hasMessageContaining("operation 1 (remove /missing)")
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.PATCH_FAILED);
    assertThat(alice.get("doc-1").orElseThrow().content()).isEqualTo(json("{'a':1}"));
    assertThat(alice.history("doc-1")).hasSize(1);
  }

  @Test
  void malformedInputIsRefusedNamingWhatIsWrong() {
    alice.create("doc-1", "T", json("{'a':1}"));
    assertThatThrownBy(() -> alice.update("doc-1", json("[{'op':'jump','path':'/a'}]")))
        .hasMessageContaining("'op' must be one of");
    assertThatThrownBy(() -> alice.update("doc-1", json("{'op':'add'}"))).hasMessageContaining("must be an array");
    assertThatThrownBy(() -> alice.update("nope", json("[]")))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.NOT_FOUND);
    assertThatThrownBy(() -> alice.create("bad id!", "T", json("{}"))).hasMessageContaining("'bad id!'");
    assertThatThrownBy(() -> alice.create("doc-1", "T", json("{}")))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.ALREADY_EXISTS);
    assertThatThrownBy(() -> db.documents("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void replaceStoresTheComputedPatchAndNoRevisionWithoutAChange() {
    alice.create("doc-1", "T", json("{'a':1,'list':[1,2,3]}"));
    Document r = alice.replace("doc-1", json("{'a':2,'list':[1,3]}"));
    assertThat(r.content()).isEqualTo(json("{'a':2,'list':[1,3]}"));
    assertThat(r.version()).isEqualTo(2);
    assertThat(alice.replace("doc-1", json("{'a':2,'list':[1,3]}")).version()).isEqualTo(2);
    assertThat(alice.at("doc-1", 1).content()).isEqualTo(json("{'a':1,'list':[1,2,3]}"));
  }

  @Test
  void deleteKeepsTheWholeDocumentAsItsReverseAndRestoreBringsItBack() {
    alice.create("doc-1", "T", json("{'a':1}"));
    alice.delete("doc-1");
    assertThat(alice.get("doc-1")).isEmpty();
    assertThatThrownBy(() -> alice.update("doc-1", json("[]")))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.DELETED);
    assertThat(alice.history("doc-1").get(1).reverse()).isEqualTo(json("{'a':1}"));
    Document back = alice.restore("doc-1");
    assertThat(back.content()).isEqualTo(json("{'a':1}"));
    assertThat(back.version()).isEqualTo(3);
    assertThatThrownBy(() -> alice.restore("doc-1"))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.NOT_DELETED);
  }

  @Test
  void atGivesEveryPastVersion() {
    alice.create("doc-1", "T", json("{'n':0}"));
    for (int i = 1; i < 5; i++) {
      alice.update("doc-1", json("[{'op':'replace','path':'/n','value':" + i + "}]"));
    }
    alice.delete("doc-1");
    for (long v = 1; v <= 5; v++) {
      assertThat(alice.at("doc-1", v).content()).as("version " + v).isEqualTo(json("{'n':" + (v - 1) + "}"));
    }
    assertThat(alice.at("doc-1", 6).deleted()).isTrue();
    assertThatThrownBy(() -> alice.at("doc-1", 7))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.NO_SUCH_VERSION);
  }

  @Test
  void listFiltersByTitleUpdateTimeAndAPointer() {
    alice.create("a", "Groceries", json("{'status':'open','n':1}"));
    alice.create("b", "Work items", json("{'status':'done','n':1.0}"));
    alice.create("c", "More groceries", json("{'status':'open','n':2}"));
    alice.delete("c");
    assertThat(alice.list(DocumentQuery.ALL)).extracting(Document::id).containsExactly("a", "b");
    assertThat(alice.list(DocumentQuery.ALL.includeDeleted(true))).extracting(Document::id).containsExactly("a", "b", "c");
    assertThat(alice.list(DocumentQuery.ALL.titleContains("GROC").includeDeleted(true)))
        .extracting(Document::id).containsExactly("a", "c");
    assertThat(alice.list(DocumentQuery.ALL.where("/status", json("'open'")))).extracting(Document::id).containsExactly("a");
    assertThat(alice.list(DocumentQuery.ALL.where("/n", json("1")))).extracting(Document::id).containsExactly("a", "b");
    assertThat(alice.list(DocumentQuery.ALL.updatedSince(Instant.now().plusSeconds(3600)))).isEmpty();
    assertThat(alice.list(DocumentQuery.ALL.updatedSince(Instant.now().minusSeconds(3600)))).hasSize(2);
    assertThat(alice.list(DocumentQuery.ALL.limit(1))).extracting(Document::id).containsExactly("a");
  }

  @Test
  void auditListsWhoChangedWhatAndWhenAcrossDocuments() {
    Instant start = Instant.now().minusSeconds(1);
    alice.create("a", "A", json("{'x':1}"));
    db.documents("bob").update("a", json("[{'op':'replace','path':'/x','value':2}]"));
    List<Revision> audit = alice.audit(start);
    assertThat(audit).extracting(Revision::user).containsExactly("alice", "bob");
    assertThat(audit.get(1).paths()).containsExactly("/x");
    assertThat(audit.get(1).time()).isAfterOrEqualTo(start);
    assertThat(alice.audit(Instant.now().plusSeconds(3600))).isEmpty();
  }

  @Test
  void undoAndRedoAreRevisionsOfTheirOwn() {
    alice.create("d", "T", json("{'text':'a'}"));
    alice.update("d", json("[{'op':'replace','path':'/text','value':'ab'}]"));
    Document undone = alice.undo("d");
    assertThat(undone.content()).isEqualTo(json("{'text':'a'}"));
    assertThat(undone.version()).isEqualTo(3);
    Document redone = alice.redo("d");
    assertThat(redone.content()).isEqualTo(json("{'text':'ab'}"));
    List<Revision> h = alice.history("d");
    assertThat(h).extracting(Revision::kind).containsExactly(Revision.Kind.CREATE, Revision.Kind.UPDATE,
        Revision.Kind.UNDO, Revision.Kind.REDO);
    assertThat(h.get(2).target()).isEqualTo(h.get(1).id());
    assertThat(h.get(3).target()).isEqualTo(h.get(2).id());
    assertThatThrownBy(() -> alice.redo("d"))
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.CANNOT_REDO);
    assertThat(alice.undo("d").content()).isEqualTo(json("{'text':'a'}"));
    assertThatThrownBy(() -> alice.undo("d")).hasMessageContaining("a create has no reverse");
  }

  @Test
  void undoRevertsTheUsersOwnChangeNotSomeoneElsesLaterOne() {
    Documents bob = db.documents("bob");
    alice.create("d", "T", json("{'title':'x','done':false}"));
    alice.update("d", json("[{'op':'replace','path':'/title','value':'y'}]"));
    bob.update("d", json("[{'op':'replace','path':'/done','value':true}]"));
    Document d = alice.undo("d");
    assertThat(d.content()).isEqualTo(json("{'title':'x','done':true}"));
  }

  @Test
  void undoIsRefusedWhenSomeoneElseChangedWhatItWouldRevert() {
    Documents bob = db.documents("bob");
    alice.create("d", "T", json("{'title':'x','tags':['a']}"));
    alice.update("d", json("[{'op':'replace','path':'/title','value':'y'}]"));
    bob.update("d", json("[{'op':'replace','path':'/title','value':'z'}]"));
    assertThatThrownBy(() -> alice.undo("d"))
        .hasMessageContaining("cannot undo").hasMessageContaining("/title")
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.CANNOT_UNDO);
    assertThat(alice.get("d").orElseThrow().content()).isEqualTo(json("{'title':'z','tags':['a']}"));
    // An element inserted by someone else shifts positions: the whole array is guarded.
    alice.update("d", json("[{'op':'add','path':'/tags/0','value':'b'}]"));
    bob.update("d", json("[{'op':'add','path':'/tags/0','value':'c'}]"));
    assertThatThrownBy(() -> alice.undo("d")).hasMessageContaining("'/tags'");
  }

  @Test
  void undoOfADeleteRestoresAndItsRedoDeletesAgain() {
    alice.create("d", "T", json("{'a':1}"));
    alice.delete("d");
    assertThat(alice.undo("d").deleted()).isFalse();
    assertThat(alice.redo("d").deleted()).isTrue();
  }

  @Test
  void updateEachMakesOneRevisionPerPatchWithTheSameHistoryAsUpdate() {
    alice.create("typed", "Typed", json("{'t':[]}"));
    Document d = alice.updateEach("typed", List.of(json("[{'op':'add','path':'/t/0','value':'a'}]"),
        json("[{'op':'add','path':'/t/1','value':'c'}]"), json("[{'op':'add','path':'/t/1','value':'b'}]"),
        json("[{'op':'remove','path':'/t/0'}]")));
    assertThat(d.version()).isEqualTo(5);
    assertThat(d.content()).isEqualTo(json("{'t':['b','c']}"));
    assertThat(alice.get("typed").orElseThrow().content()).isEqualTo(json("{'t':['b','c']}"));
    List<Revision> h = alice.history("typed");
    assertThat(h).hasSize(5);
    assertThat(h.get(3).reverse()).isEqualTo(json("[{'op':'remove','path':'/t/1'}]"));
    assertThat(h.get(4).reverse()).isEqualTo(json("[{'op':'add','path':'/t/0','value':'a'}]"));
    assertThat(alice.at("typed", 4).content()).isEqualTo(json("{'t':['a','b','c']}"));
    assertThat(alice.undo("typed").content()).isEqualTo(json("{'t':['a','b','c']}"));
  }

  @Test
  void updateEachWritesNothingWhenOnePatchIsRefused() {
    alice.create("typed", "Typed", json("{'t':['x']}"));
    assertThatThrownBy(() -> alice.updateEach("typed", List.of(json("[{'op':'add','path':'/t/1','value':'y'}]"),
        json("[{'op':'remove','path':'/t/5'}]"))))
        .isInstanceOf(DocumentException.class)
        .hasMessageContaining("patch 1: the patch does not apply to version 2 of document typed")
        .extracting(e -> ((DocumentException) e).reason()).isEqualTo(DocumentException.Reason.PATCH_FAILED);
    assertThatThrownBy(() -> alice.updateEach("typed", List.of(json("[{'op':'add','path':'/t/1','value':'y'}]"),
        json("[{'op':'jump','path':'/t/0'}]"))))
        .hasMessageContaining("patch 1 for document typed is malformed");
    assertThatThrownBy(() -> alice.updateEach("typed", List.of())).hasMessageContaining("no patches");
    Document d = alice.get("typed").orElseThrow();
    assertThat(d.version()).isEqualTo(1);
    assertThat(d.content()).isEqualTo(json("{'t':['x']}"));
    assertThat(alice.history("typed")).hasSize(1);
  }
  @Test
  void aPatchTheCallerChangesAfterUpdateChangesNeitherTheHistoryNorAnEarlierVersion() {
    alice.create("kept", "Kept", json("{'a':{}}"));
    JsonNode patch = json("[{'op':'add','path':'/a/x','value':{'n':1}}]");
    alice.update("kept", patch);
    alice.update("kept", json("[{'op':'add','path':'/b','value':2}]"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) patch.get(0).get("value")).put("n", 99);
    assertThat(alice.history("kept").get(1).patch()).isEqualTo(json("[{'op':'add','path':'/a/x','value':{'n':1}}]"));
    assertThat(alice.at("kept", 2).content()).isEqualTo(json("{'a':{'x':{'n':1}}}"));
  }

  @Test
  void aRevisionTheCallerChangesFromTheHistoryChangesNoVersion() {
    alice.create("kept", "Kept", json("{'a':1}"));
    alice.updateEach("kept", List.of(json("[{'op':'add','path':'/b','value':{'n':1}}]"),
        json("[{'op':'add','path':'/c','value':3}]")));
    List<Revision> h = alice.history("kept");
    ((com.fasterxml.jackson.databind.node.ObjectNode) h.get(0).patch()).put("a", 99);
    ((com.fasterxml.jackson.databind.node.ObjectNode) h.get(1).patch().get(0).get("value")).put("n", 99);
    assertThat(alice.at("kept", 1).content()).isEqualTo(json("{'a':1}"));
    assertThat(alice.at("kept", 2).content()).isEqualTo(json("{'a':1,'b':{'n':1}}"));
    assertThat(alice.history("kept").get(1).patch()).isEqualTo(json("[{'op':'add','path':'/b','value':{'n':1}}]"));
  }
}
