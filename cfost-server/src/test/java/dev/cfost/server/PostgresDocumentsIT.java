package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static dev.cfost.server.WsDocumentsIT.assertError;
import static dev.cfost.server.WsDocumentsIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.identity.Argon2Params;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code /ws} documents of two server processes on one PostgreSQL (two {@link CfostServer}s, each
 * with its own pool and listening connection): an update through one is pushed to the user's connection
 * on the other, concurrent updates through both are all kept in one linear history, and the JSONB body
 * is queried in SQL under its GIN index.
 */
class PostgresDocumentsIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  String url;
  CfostServer one;
  CfostServer two;
  String account;
  String access;

  void startTwo() throws Exception {
    url = TestPostgres.freshDatabase();
    one = start();
    two = start();
    HttpTestClient http = new HttpTestClient(one.port());
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
  }

  CfostServer start() throws Exception {
    CfostServer s = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("unused"))
        .postgres(url, null).argon2(new Argon2Params(256, 1, 1)).build());
    open.add(s);
    return s;
  }

  DocumentSocket on(CfostServer server) throws Exception {
    DocumentSocket s = new DocumentSocket(server.port());
    open.add(s);
    JsonNode r = s.ask(json("{'type':'authenticate','user_id':'" + account + "','auth_token':'" + access + "'}"));
    assertThat(r.path("type").asText()).as(r.toString()).isEqualTo("authenticated");
    return s;
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void anUpdateThroughOneProcessIsPushedToTheUsersConnectionOnTheOther() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    DocumentSocket b = on(two);

    a.ask(json("{'type':'create_document','document':{'id':'d1','title':'Shared','content':{'text':'hello'}}}"));
    JsonNode created = b.next();
    assertThat(created.path("type").asText()).as(created.toString()).isEqualTo("document_created");
    assertThat(created.at("/document/content/text").asText()).isEqualTo("hello");

    long sent = System.nanoTime();
    a.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':["
        + "{'op':'replace','path':'/text','value':'from one'}]}}"));
    JsonNode pushed = b.next();
    long millis = (System.nanoTime() - sent) / 1_000_000;
    assertThat(pushed.path("type").asText()).as(pushed.toString()).isEqualTo("document_updated");
    assertThat(pushed.path("action").asText()).isEqualTo("update");
    assertThat(pushed.at("/document/version").asLong()).isEqualTo(2);
    assertThat(pushed.at("/document/content/text").asText()).isEqualTo("from one");
    assertThat(millis).as("pushed across processes within a second").isLessThan(1000);

    // Undo is the user's, whichever process takes it; its push reaches the first process's connection.
    JsonNode undone = b.ask(json("{'type':'undo','document_id':'d1'}"));
    assertThat(undone.at("/document/content/text").asText()).as(undone.toString()).isEqualTo("hello");
    JsonNode pushedUndo = a.next();
    assertThat(pushedUndo.path("action").asText()).as(pushedUndo.toString()).isEqualTo("undo");
    assertThat(pushedUndo.at("/document/version").asLong()).isEqualTo(3);
    assertThat(a.nothingWithin(java.time.Duration.ofMillis(300))).as("one push per update").isNull();
  }

  @Test
  void concurrentUpdatesThroughBothProcessesAreAllKeptInOneLinearHistory() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    DocumentSocket b = on(two);
    List<JsonNode> pushesToA = Collections.synchronizedList(new ArrayList<>());
    List<JsonNode> pushesToB = Collections.synchronizedList(new ArrayList<>());
    a.askFor(json("{'type':'create_document','request_id':'c','document':{'id':'log','title':'Log',"
        + "'content':{'items':[]}}}"), "c", pushesToA);
    int each = 60;
    List<List<Long>> replies = atOnce(appender(a, "A", each, pushesToA), appender(b, "B", each, pushesToB));
    List<Long> repliesToA = replies.get(0);
    List<Long> repliesToB = replies.get(1);
    List<Long> versions = new ArrayList<>(repliesToA);
    versions.addAll(repliesToB);
    Collections.sort(versions);
    List<Long> expected = new ArrayList<>();
    for (long v = 2; v <= 2 * each + 1; v++) {
      expected.add(v);
    }
    assertThat(versions).as("every update took its own version").isEqualTo(expected);
    // Each connection is told of the other's updates, in increasing versions, up to the last one.
    long last = 2 * each + 1;
    awaitTold(a, repliesToA, pushesToA, last);
    awaitTold(b, repliesToB, pushesToB, last);
    assertThat(versionsFrom(pushesToA)).as("pushed to A").doesNotHaveDuplicates().isSorted();
    assertThat(versionsFrom(pushesToB)).as("pushed to B").doesNotHaveDuplicates().isSorted();
    assertThat(versionsFrom(pushesToA)).as("a connection is not pushed its own updates")
        .doesNotContainAnyElementsOf(repliesToA);
    assertThat(versionsFrom(pushesToB)).doesNotContainAnyElementsOf(repliesToB);

    JsonNode doc = a.askFor(json("{'type':'get_document','request_id':'g','document_id':'log'}"), "g", pushesToA);
    assertThat(doc.at("/document/version").asLong()).as(doc.toString()).isEqualTo(2 * each + 1);
    JsonNode items = doc.at("/document/content/items");
    assertThat(items.size()).as("no update lost").isEqualTo(2 * each);
    assertThat(inOrder(items, "A")).as("each writer's items in its order").hasSize(each);
    assertThat(inOrder(items, "B")).hasSize(each);

    JsonNode history = b.askFor(json("{'type':'get_history','request_id':'h','document_id':'log'}"), "h", pushesToB);
    JsonNode revisions = history.path("revisions");
    assertThat(revisions.size()).isEqualTo(2 * each + 1);
    for (int i = 0; i < revisions.size(); i++) {
      assertThat(revisions.get(i).path("version").asLong()).isEqualTo(i + 1);
      if (i > 0) {
        assertThat(Long.parseUnsignedLong(revisions.get(i).path("hlc").asText()))
            .as("times in the order of the versions").isGreaterThan(
                Long.parseUnsignedLong(revisions.get(i - 1).path("hlc").asText()));
      }
    }
    // Time travel across the checkpoint at version 100: each version holds the items added before it.
    for (int version : new int[] {1, 60, 99, 100, 101, 2 * each}) {
      JsonNode at = a.askFor(json("{'type':'get_document_at','request_id':'t','document_id':'log','version':"
          + version + "}"), "t", pushesToA);
      assertThat(at.at("/document/content/items").size()).as(at.toString()).isEqualTo(version - 1);
      for (int i = 0; i < version - 1; i++) {
        assertThat(at.at("/document/content/items/" + i)).isEqualTo(items.get(i));
      }
    }
  }

  /** Waits until the connection was told of {@code last}, by its own reply or by a push (10 s each). */
  private static void awaitTold(DocumentSocket s, List<Long> replies, List<JsonNode> pushes, long last)
      throws Exception {
    while (!replies.contains(last) && !versionsFrom(pushes).contains(last)) {
      pushes.add(s.next());
    }
  }

  @Test
  void twoProcessesCreatingOneIdAtOnceMakeOneDocument() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    DocumentSocket b = on(two);
    List<JsonNode> pushesToA = Collections.synchronizedList(new ArrayList<>());
    List<JsonNode> pushesToB = Collections.synchronizedList(new ArrayList<>());
    List<String> outcomes = new ArrayList<>();
    for (JsonNode r : atOnce(() -> a.askFor(json("{'type':'create_document','request_id':'c',"
        + "'document':{'id':'same','title':'A','content':{'by':'a'}}}"), "c", pushesToA),
        () -> b.askFor(json("{'type':'create_document','request_id':'c',"
        + "'document':{'id':'same','title':'B','content':{'by':'b'}}}"), "c", pushesToB))) {
      outcomes.add(r.path("type").asText() + " " + r.path("code").asText());
    }
    Collections.sort(outcomes);
    assertThat(outcomes).containsExactly("document_created ", "error already_exists");
    JsonNode history = a.askFor(json("{'type':'get_history','request_id':'h','document_id':'same'}"), "h", pushesToA);
    assertThat(history.path("revisions").size()).as(history.toString()).isEqualTo(1);
  }

  /** Runs both at once, on two threads, and returns their results (60 s at most). */
  private static <T> List<T> atOnce(Callable<T> first, Callable<T> second) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<T> f = pool.submit(first);
      Future<T> s = pool.submit(second);
      return List.of(f.get(60, TimeUnit.SECONDS), s.get(60, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  private static Callable<List<Long>> appender(DocumentSocket s, String who, int n, List<JsonNode> pushes) {
    return () -> {
      List<Long> versions = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = who + i;
        JsonNode r = s.askFor(json("{'type':'update_document','request_id':'" + id + "','patch':{'document_id':'log',"
            + "'patch':[{'op':'add','path':'/items/-','value':'" + id + "'}]}}"), id, pushes);
        assertThat(r.path("type").asText()).as(r.toString()).isEqualTo("document_updated");
        versions.add(r.at("/document/version").asLong());
      }
      return versions;
    };
  }

  /** The items of one writer, checked to come in the order it added them. */
  private static List<String> inOrder(JsonNode items, String who) {
    List<String> mine = new ArrayList<>();
    for (JsonNode item : items) {
      if (item.asText().startsWith(who)) {
        assertThat(item.asText()).isEqualTo(who + mine.size());
        mine.add(item.asText());
      }
    }
    return mine;
  }

  private static List<Long> versionsFrom(List<JsonNode> pushes) {
    List<Long> out = new ArrayList<>();
    synchronized (pushes) {
      for (JsonNode p : pushes) {
        out.add(p.at("/document/version").asLong());
      }
    }
    return out;
  }

  @Test
  void anUpdateCommittedWhileTheListeningConnectionIsCutIsPushedOnceItIsBack() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    DocumentSocket a2 = on(one);
    DocumentSocket b = on(two);
    a.ask(json("{'type':'create_document','document':{'id':'d','title':'D','content':{'n':0}}}"));
    assertThat(a2.next().at("/document/version").asLong()).isEqualTo(1);
    assertThat(b.next().at("/document/version").asLong()).isEqualTo(1);
    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
      awaitListeners(s, 2);
      // Both processes' listening connections are cut; the update commits while they are away (they come
      // back after 0.1 s at the earliest), so its notification may be lost: the catch-up pushes it.
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
          + LISTEN_NAME + "'");
      awaitListeners(s, 0);
      a.ask(json("{'type':'update_document','patch':{'document_id':'d','patch':["
          + "{'op':'replace','path':'/n','value':1}]}}"));
      JsonNode pushed = b.next();
      assertThat(pushed.at("/document/version").asLong()).as(pushed.toString()).isEqualTo(2);
      assertThat(pushed.at("/document/content/n").asInt()).isEqualTo(1);
      awaitListeners(s, 2);
    }
    assertThat(a2.next().at("/document/version").asLong()).isEqualTo(2);
    assertThat(a2.nothingWithin(java.time.Duration.ofMillis(500)))
        .as("the catch-up skips what this process wrote and pushed itself").isNull();
  }

  private static final String LISTEN_NAME = "cfost-server-listen";

  private static void awaitListeners(Statement s, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
          + LISTEN_NAME + "'")) {
        rs.next();
        if (rs.getInt(1) == n) {
          return;
        }
      }
      assertThat(System.nanoTime()).as("%d listening connections within 10 s", n).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void listFindsDocumentsByAJsonPointerInSqlOnTheIndexedJsonbBody() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    a.ask(json("{'type':'create_document','document':{'id':'t1','title':'Task 1','content':"
        + "{'status':'done','meta':{'n':1},'tags':['x','y']}}}"));
    a.ask(json("{'type':'create_document','document':{'id':'t2','title':'Task 2','content':"
        + "{'status':'open','meta':{'n':2},'tags':['y']}}}"));
    a.ask(json("{'type':'create_document','document':{'id':'t3','title':'Task 3','content':"
        + "{'status':'done','meta':{'n':1.0,'extra':true},'tags':[]}}}"));

    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/status','equals':'done'}"))))
        .containsExactly("t1", "t3");
    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/meta/n','equals':1}"))))
        .as("numbers by value").containsExactly("t1", "t3");
    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/meta','equals':{'n':1}}"))))
        .as("an object equals, it does not merely contain").containsExactly("t1");
    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/tags/0','equals':'y'}"))))
        .as("an array index").containsExactly("t2");
    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/status','equals':'done','title_contains':'3'}"))))
        .containsExactly("t3");

    DocumentSocket b = on(two);
    b.ask(json("{'type':'update_document','patch':{'document_id':'t2','patch':"
        + "[{'op':'replace','path':'/status','value':'done'}]}}"));
    JsonNode pushed = a.next(); // the update reaches the first process's connection
    assertThat(pushed.at("/document/id").asText()).as(pushed.toString()).isEqualTo("t2");
    assertThat(ids(a.ask(json("{'type':'list_documents','pointer':'/status','equals':'done'}"))))
        .as("the current body, whichever process wrote it").containsExactly("t1", "t2", "t3");

    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
      // The queries of docs/SERVER.md ("Documents over /ws"), and the plan PostgreSQL takes for the first
      // when it cannot scan the table.
      try (PreparedStatement ps = c.prepareStatement("SELECT doc_id, title, version, body->'status' AS status"
          + " FROM documents WHERE user_id = ? AND NOT deleted AND body @> '{\"status\": \"done\"}'"
          + " ORDER BY doc_id")) {
        ps.setString(1, account);
        try (ResultSet rs = ps.executeQuery()) {
          List<String> found = new ArrayList<>();
          while (rs.next()) {
            found.add(rs.getString(1) + " " + rs.getString(4));
          }
          assertThat(found).containsExactly("t1 \"done\"", "t2 \"done\"", "t3 \"done\"");
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT version, kind, author, at, patch FROM document_revisions"
          + " WHERE user_id = ? AND doc_id = 't2' ORDER BY version")) {
        ps.setString(1, account);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(2)).isEqualTo("create");
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(2)).isEqualTo("update");
          assertThat(rs.getString(3)).isEqualTo(account);
          assertThat(rs.getString(5)).contains("\"replace\"");
          assertThat(rs.next()).isFalse();
        }
      }
      s.execute("SET enable_seqscan = off");
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = s.executeQuery(
          "EXPLAIN SELECT doc_id FROM documents WHERE body @> '{\"status\": \"done\"}'")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      assertThat(plan.toString()).contains("documents_body");
    }
  }

  private static List<String> ids(JsonNode reply) {
    assertThat(reply.path("type").asText()).as(reply.toString()).isEqualTo("documents");
    List<String> out = new ArrayList<>();
    reply.path("documents").forEach(d -> out.add(d.path("id").asText()));
    return out;
  }

  @Test
  void aValuePostgresCannotKeepIsRefusedAndNothingOfItIsWritten() throws Exception {
    startTwo();
    DocumentSocket a = on(one);
    assertError(a.ask(json("{'type':'create_document','document':{'id':'z','title':'Z','content':{'s':'a\\u0000b'}}}")),
        "invalid", "PostgreSQL cannot keep");
    assertError(a.ask(json("{'type':'get_document','document_id':'z'}")), "not_found", "z");

    a.ask(json("{'type':'create_document','document':{'id':'y','title':'Y','content':{'s':'ok'}}}"));
    assertError(a.ask(json("{'type':'update_document','patch':{'document_id':'y','patch':["
        + "{'op':'add','path':'/t','value':'fine'},{'op':'add','path':'/u','value':'a\\u0000b'}]}}")),
        "invalid", "PostgreSQL cannot keep");
    JsonNode y = a.ask(json("{'type':'get_document','document_id':'y'}"));
    assertThat(y.at("/document/version").asLong()).as(y.toString()).isEqualTo(1);
    assertThat(y.at("/document/content").has("t")).as("nothing half-applied").isFalse();
    JsonNode history = a.ask(json("{'type':'get_history','document_id':'y'}"));
    assertThat(history.path("revisions").size()).isEqualTo(1);
  }
}
