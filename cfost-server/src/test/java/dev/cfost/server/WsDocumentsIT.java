package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.identity.Argon2Params;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seed 002's document API on {@code /ws} against a real server, once per store (SQLite files, and a real
 * PostgreSQL): every message, its reply and the push to the account's other connections, and every
 * refusal as an {@code error} that leaves the documents as they were.
 */
class WsDocumentsIT {
  /** Where the server keeps the documents. */
  enum Store { SQLITE, POSTGRES }

  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  String account;
  String access;

  void start(ServerConfig.Builder config) throws Exception {
    server = CfostServer.start(config.listen("127.0.0.1:0").argon2(new Argon2Params(256, 1, 1)).build());
    open.add(server);
    HttpTestClient http = new HttpTestClient(server.port());
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
  }

  void startSqlite() throws Exception {
    start(Store.SQLITE);
  }

  void start(Store store) throws Exception {
    ServerConfig.Builder config = ServerConfig.builder().dataDir(dir.resolve("server"));
    start(store == Store.SQLITE ? config : config.postgres(TestPostgres.freshDatabase(), null));
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  DocumentSocket socket() throws Exception {
    DocumentSocket s = new DocumentSocket(server.port());
    open.add(s);
    return s;
  }

  DocumentSocket authenticated() throws Exception {
    DocumentSocket s = socket();
    JsonNode r = s.ask(json("{'type':'authenticate','user_id':'" + account + "','auth_token':'" + access + "'}"));
    assertThat(r.path("type").asText()).as(r.toString()).isEqualTo("authenticated");
    assertThat(r.path("user_id").asText()).isEqualTo(account);
    return s;
  }

  static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  static void assertError(JsonNode r, String code, String inMessage) {
    assertThat(r.path("type").asText()).as(r.toString()).isEqualTo("error");
    assertThat(r.path("code").asText()).as(r.toString()).isEqualTo(code);
    assertThat(r.path("message").asText()).contains(inMessage);
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void createUpdateUndoRedoAreRepliedAndPushedToTheAccountsOtherConnection(Store store) throws Exception {
    start(store);
    DocumentSocket a = authenticated();
    DocumentSocket b = authenticated();

    JsonNode created = a.ask(json("{'type':'create_document','request_id':7,'document':{'id':'d1',"
        + "'title':'My Document','content':{'text':'Hello, World!'}}}"));
    assertThat(created.path("type").asText()).as(created.toString()).isEqualTo("document_created");
    assertThat(created.path("request_id").asInt()).isEqualTo(7);
    assertThat(created.at("/document/id").asText()).isEqualTo("d1");
    assertThat(created.at("/document/title").asText()).isEqualTo("My Document");
    assertThat(created.at("/document/version").asLong()).isEqualTo(1);
    assertThat(created.at("/document/created_by").asText()).isEqualTo(account);
    JsonNode pushedCreate = b.next();
    assertThat(pushedCreate.path("type").asText()).isEqualTo("document_created");
    assertThat(pushedCreate.at("/document/content/text").asText()).isEqualTo("Hello, World!");
    assertThat(pushedCreate.has("request_id")).as("the request id is the sender's only").isFalse();

    JsonNode updated = a.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':["
        + "{'op':'replace','path':'/text','value':'Updated text'}]}}"));
    assertThat(updated.path("type").asText()).as(updated.toString()).isEqualTo("document_updated");
    assertThat(updated.path("action").asText()).isEqualTo("update");
    assertThat(updated.at("/document/version").asLong()).isEqualTo(2);
    assertThat(updated.at("/document/content/text").asText()).isEqualTo("Updated text");
    JsonNode pushed = b.next();
    assertThat(pushed.path("type").asText()).isEqualTo("document_updated");
    assertThat(pushed.at("/document/content/text").asText()).isEqualTo("Updated text");

    JsonNode undone = b.ask(json("{'type':'undo','document_id':'d1'}"));
    assertThat(undone.path("action").asText()).as(undone.toString()).isEqualTo("undo");
    assertThat(undone.at("/document/content/text").asText()).isEqualTo("Hello, World!");
    assertThat(a.next().at("/document/content/text").asText()).isEqualTo("Hello, World!");

    JsonNode redone = a.ask(json("{'type':'redo','document_id':'d1'}"));
    assertThat(redone.path("action").asText()).as(redone.toString()).isEqualTo("redo");
    assertThat(redone.at("/document/content/text").asText()).isEqualTo("Updated text");
    assertThat(b.next().path("action").asText()).isEqualTo("redo");

    assertError(a.ask(json("{'type':'redo','document_id':'d1'}")), "cannot_redo", "");
    assertThat(b.nothingWithin(Duration.ofMillis(300))).as("a refusal is not pushed").isNull();
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void getListHistoryAtDeleteAndRestoreReadAndChangeTheDocuments(Store store) throws Exception {
    start(store);
    DocumentSocket a = authenticated();
    a.ask(json("{'type':'create_document','document':{'id':'n1','title':'Notes','content':{'n':1}}}"));
    a.ask(json("{'type':'create_document','document':{'title':'Todo','content':[]}}"));
    a.ask(json("{'type':'update_document','patch':{'document_id':'n1','patch':[{'op':'replace','path':'/n','value':2}]}}"));

    JsonNode got = a.ask(json("{'type':'get_document','document_id':'n1'}"));
    assertThat(got.path("type").asText()).as(got.toString()).isEqualTo("document");
    assertThat(got.at("/document/content/n").asInt()).isEqualTo(2);

    JsonNode list = a.ask(json("{'type':'list_documents'}"));
    assertThat(list.path("type").asText()).as(list.toString()).isEqualTo("documents");
    assertThat(list.path("documents").size()).isEqualTo(2);
    JsonNode some = a.ask(json("{'type':'list_documents','title_contains':'Not','limit':5}"));
    assertThat(some.path("documents").size()).isEqualTo(1);
    assertThat(some.at("/documents/0/id").asText()).isEqualTo("n1");
    JsonNode byValue = a.ask(json("{'type':'list_documents','pointer':'/n','equals':2.0}"));
    assertThat(byValue.path("documents").size()).as(byValue.toString()).isEqualTo(1);
    assertThat(byValue.at("/documents/0/id").asText()).as("numbers compare by value").isEqualTo("n1");
    assertThat(a.ask(json("{'type':'list_documents','pointer':'/n','equals':1}")).path("documents").size())
        .isZero();
    assertError(a.ask(json("{'type':'list_documents','pointer':'/n'}")), "invalid_message", "equals");
    assertError(a.ask(json("{'type':'list_documents','pointer':'n','equals':2}")), "invalid", "pointer");

    JsonNode history = a.ask(json("{'type':'get_history','document_id':'n1'}"));
    assertThat(history.path("type").asText()).as(history.toString()).isEqualTo("history");
    assertThat(history.path("revisions").size()).isEqualTo(2);
    assertThat(history.at("/revisions/0/kind").asText()).isEqualTo("create");
    assertThat(history.at("/revisions/1/kind").asText()).isEqualTo("update");
    assertThat(history.at("/revisions/1/user").asText()).isEqualTo(account);
    assertThat(history.at("/revisions/1/patch/0/op").asText()).isEqualTo("replace");
    assertThat(history.has("next_version")).as("the whole history in one page").isFalse();
    // A long history comes a page at a time.
    JsonNode first = a.ask(json("{'type':'get_history','document_id':'n1','limit':1}"));
    assertThat(first.path("revisions").size()).as(first.toString()).isEqualTo(1);
    assertThat(first.at("/revisions/0/version").asLong()).isEqualTo(1);
    assertThat(first.path("next_version").asLong()).isEqualTo(2);
    JsonNode second = a.ask(json("{'type':'get_history','document_id':'n1','from_version':2,'limit':1}"));
    assertThat(second.path("revisions").size()).as(second.toString()).isEqualTo(1);
    assertThat(second.at("/revisions/0/version").asLong()).isEqualTo(2);
    assertThat(second.has("next_version")).as(second.toString()).isFalse();
    assertThat(a.ask(json("{'type':'get_history','document_id':'n1','from_version':3}")).path("revisions").size())
        .isZero();
    assertError(a.ask(json("{'type':'get_history','document_id':'n1','limit':0}")), "invalid_message", "limit");
    assertError(a.ask(json("{'type':'get_history','document_id':'n1','limit':1001}")), "invalid_message", "1000");
    assertError(a.ask(json("{'type':'get_history','document_id':'n1','from_version':'2'}")), "invalid_message",
        "from_version");

    JsonNode at = a.ask(json("{'type':'get_document_at','document_id':'n1','version':1}"));
    assertThat(at.path("type").asText()).as(at.toString()).isEqualTo("document");
    assertThat(at.at("/document/content/n").asInt()).isEqualTo(1);
    assertError(a.ask(json("{'type':'get_document_at','document_id':'n1','version':9}")), "no_such_version", "");

    JsonNode deleted = a.ask(json("{'type':'delete_document','document_id':'n1'}"));
    assertThat(deleted.path("action").asText()).as(deleted.toString()).isEqualTo("delete");
    assertThat(deleted.at("/document/deleted").asBoolean()).isTrue();
    assertError(a.ask(json("{'type':'get_document','document_id':'n1'}")), "not_found", "n1");
    assertThat(a.ask(json("{'type':'list_documents'}")).path("documents").size()).isEqualTo(1);
    assertThat(a.ask(json("{'type':'list_documents','include_deleted':true}")).path("documents").size())
        .isEqualTo(2);
    JsonNode restored = a.ask(json("{'type':'restore_document','document_id':'n1'}"));
    assertThat(restored.path("action").asText()).as(restored.toString()).isEqualTo("restore");
    assertThat(restored.at("/document/content/n").asInt()).isEqualTo(2);
    assertError(a.ask(json("{'type':'restore_document','document_id':'n1'}")), "not_deleted", "");
    // Case-insensitive beyond ASCII, alike on both stores.
    a.ask(json("{'type':'create_document','document':{'id':'u1','title':'Ärger im Büro','content':{}}}"));
    JsonNode umlaut = a.ask(json("{'type':'list_documents','title_contains':'äRGER IM bü'}"));
    assertThat(umlaut.path("documents").size()).as(umlaut.toString()).isEqualTo(1);
  }

  @Test
  void theDocumentsOutliveTheConnectionsInAnOwnerOnlyFile() throws Exception {
    startSqlite();
    DocumentSocket a = authenticated();
    a.ask(json("{'type':'create_document','document':{'id':'k','title':'Kept','content':{}}}"));
    a.close();
    open.remove(a);
    Path file = dir.resolve("server").resolve("documents").resolve(account + ".db");
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    JsonNode got = authenticated().ask(json("{'type':'get_document','document_id':'k'}"));
    assertThat(got.at("/document/title").asText()).as(got.toString()).isEqualTo("Kept");
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void everyRefusalIsAnErrorNamingWhatWasWrongAndChangesNothing(Store store) throws Exception {
    start(store);
    DocumentSocket s = socket();
    assertError(s.ask(json("{'type':'get_document','document_id':'d1'}")), "not_authenticated", "authenticate");
    assertError(s.ask(json("{'type':'authenticate','user_id':'" + account + "','auth_token':'nope'}")),
        "invalid_token", "auth_token");
    assertError(s.ask(json("{'type':'authenticate','user_id':'someone','auth_token':'" + access + "'}")),
        "wrong_user", "someone");
    assertError(s.ask(json("{'type':'authenticate','user_id':'demo','auth_token':'demo-token'}")),
        "invalid_token", "");
    assertError(s.ask(json("{'type':'authenticate','user_id':'" + account + "'}")), "invalid_message",
        "auth_token");
    assertError(s.ask(json("{'type':'list_documents'}")), "not_authenticated", "");

    DocumentSocket a = authenticated();
    assertError(a.ask("{not json"), "malformed_message", "not JSON");
    assertError(a.ask("[1,2]"), "malformed_message", "JSON object");
    assertError(a.ask(json("{'type':'rename_document','request_id':'r9'}")), "unknown_type", "rename_document");
    assertThat(a.ask(json("{'type':'frobnicate','request_id':'r9'}")).path("request_id").asText())
        .isEqualTo("r9");
    assertError(a.ask(json("{'document_id':'d1'}")), "invalid_message", "'type'");
    assertError(a.ask(json("{'type':'authenticate','user_id':'" + account + "','auth_token':'" + access + "'}")),
        "already_authenticated", account);
    assertError(a.ask(json("{'type':'get_document','document_id':'nowhere'}")), "not_found", "nowhere");
    assertError(a.ask(json("{'type':'update_document','patch':{'document_id':'nowhere','patch':[]}}")),
        "not_found", "nowhere");
    assertError(a.ask(json("{'type':'get_history','document_id':'nowhere'}")), "not_found", "nowhere");
    assertError(a.ask(json("{'type':'undo','document_id':'nowhere'}")), "not_found", "");
    assertError(a.ask(json("{'type':'create_document','document':{'title':'No content'}}")), "invalid_message",
        "content");

    a.ask(json("{'type':'create_document','document':{'id':'d1','title':'T','content':{'text':'x','n':1}}}"));
    assertError(a.ask(json("{'type':'create_document','document':{'id':'d1','title':'T','content':{}}}")),
        "already_exists", "d1");
    assertError(a.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':["
        + "{'op':'replace','path':'/n','value':2},{'op':'remove','path':'/missing'}]}}")), "patch_failed",
        "missing");
    assertError(a.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':[{'op':'jump'}]}}")),
        "invalid", "");
    assertError(a.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':{}}}")),
        "invalid_message", "array");
    JsonNode unchanged = a.ask(json("{'type':'get_document','document_id':'d1'}"));
    assertThat(unchanged.at("/document/version").asLong()).as(unchanged.toString()).isEqualTo(1);
    assertThat(unchanged.at("/document/content/n").asInt()).as("nothing half-applied").isEqualTo(1);
    assertThat(a.ask(json("{'type':'get_history','document_id':'d1'}")).path("revisions").size()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void oneAccountNeitherSeesNorChangesNorHearsOfAnothersDocuments(Store store) throws Exception {
    start(store);
    DocumentSocket alice = authenticated();
    alice.ask(json("{'type':'create_document','document':{'id':'d1','title':'Private','content':{'secret':1}}}"));
    HttpTestClient http = new HttpTestClient(server.port());
    String bobId = http.post("/v1/auth/register", obj("user_name", "bob", "email", "bob@example.org",
        "password", "correct horse")).text("user_id");
    String bobToken = http.post("/v1/auth/login", obj("login", "bob", "password", "correct horse"))
        .text("access_token");
    DocumentSocket bob = socket();
    assertThat(bob.ask(json("{'type':'authenticate','user_id':'" + bobId + "','auth_token':'" + bobToken + "'}"))
        .path("type").asText()).isEqualTo("authenticated");

    assertThat(bob.ask(json("{'type':'list_documents','include_deleted':true}")).path("documents").size()).isZero();
    assertThat(bob.ask(json("{'type':'list_documents','pointer':'/secret','equals':1}")).path("documents").size())
        .isZero();
    assertError(bob.ask(json("{'type':'get_document','document_id':'d1'}")), "not_found", "d1");
    assertError(bob.ask(json("{'type':'get_history','document_id':'d1'}")), "not_found", "d1");
    assertError(bob.ask(json("{'type':'update_document','patch':{'document_id':'d1','patch':["
        + "{'op':'replace','path':'/secret','value':2}]}}")), "not_found", "d1");
    JsonNode own = bob.ask(json("{'type':'create_document','document':{'id':'d1','title':'Bob','content':{}}}"));
    assertThat(own.at("/document/created_by").asText()).as(own.toString()).isEqualTo(bobId);

    assertThat(alice.nothingWithin(Duration.ofMillis(300))).as("bob's changes are not pushed to alice").isNull();
    JsonNode mine = alice.ask(json("{'type':'get_document','document_id':'d1'}"));
    assertThat(mine.at("/document/title").asText()).as(mine.toString()).isEqualTo("Private");
    assertThat(mine.at("/document/content/secret").asInt()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void demoTokenActsAsTheDemoAccountOnlyInDemoMode(Store store) throws Exception {
    ServerConfig.Builder config = ServerConfig.builder().dataDir(dir.resolve("demo")).demo(true);
    start(store == Store.SQLITE ? config : config.postgres(TestPostgres.freshDatabase(), null));
    DocumentSocket s = socket();
    JsonNode r = s.ask(json("{'type':'authenticate','user_id':'demo','auth_token':'demo-token'}"));
    assertThat(r.path("type").asText()).as(r.toString()).isEqualTo("authenticated");
    JsonNode created = s.ask(json("{'type':'create_document','document':{'id':'550e8400-e29b-41d4-a716-446655440001',"
        + "'title':'My Document','content':{'text':'Hello, World!'}}}"));
    assertThat(created.at("/document/created_by").asText()).as(created.toString()).isEqualTo("demo");
  }
}
