package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Cfost;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.Revision;
import dev.cfost.Values;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingResponse;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.net.Peer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cfost demo}: the whole product on one machine, on the public library API. A user and two devices
 * paired by code, live peer-to-peer sync, offline edits in conflict, sync through a sync server on
 * loopback, the converged tables, and a JSON document edited on both devices with its history, an undo
 * and time travel. Each result comes with the rule that produced it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    footer = "  cfost demo --dir /tmp/cfost-demo",
    description = {"Show the whole product on one machine: a user, two devices paired by code,",
        "peer-to-peer and server sync, offline conflicts and why each value won,",
        "and a JSON document's history, undo and time travel.",
        "Makes laptop.db, phone.db and server/ in DIR; exits 1 if they do not converge."})
final class DemoCommand implements Callable<Integer> {
  private static final String TABLE = "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String USER = "alice";
  private static final char[] PASSWORD = "correct horse".toCharArray();

  @Spec CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where to make the databases and the server's data (default: a new temporary folder).")
  Path dir;

  private DemoScreen screen;

  @Override
  public Integer call() throws Exception {
    screen = new DemoScreen(spec.commandLine().getOut(), DemoScreen.colorWanted());
    Path folder = prepareFolder();
    screen.plain("demo folder " + folder + " (everything the demo writes is in it)");
    try (Cfost laptop = CfostCommand.open(folder.resolve("laptop.db"));
        Cfost phone = CfostCommand.open(folder.resolve("phone.db"));
        DemoNetwork net = new DemoNetwork()) {
      screen.step("A user and two devices, paired by code");
      String alice = Users.open(laptop, DemoNetwork.CHEAP_ARGON2).register(USER, "alice@example.org", PASSWORD.clone());
      DeviceKeys laptopKeys = DeviceKeys.forDatabase(laptop);
      Devices.open(laptop).add(alice, laptopKeys.publicKey(), "laptop", null);
      Devices.open(laptop).bindSite(laptopKeys.deviceId(), laptop.siteId());
      screen.did("alice registers on the laptop, its first device");
      String code = Pairing.open(laptop, laptopKeys).createChallenge(alice, List.of()).encode();
      PairingChallenge scanned = PairingChallenge.decode(code); // typed or scanned on the phone
      DeviceKeys phoneKeys = DeviceKeys.forDatabase(phone);
      PairingResponse answer = PairingResponse.create(scanned, phoneKeys, phone.siteId(), "phone");
      Pairing.open(laptop, laptopKeys).approve(PairingResponse.decode(answer.encode())); // back on the laptop
      SyncTrust laptopTrust = SyncTrust.forUser(laptop, alice);
      SyncTrust phoneTrust = SyncTrust.forUser(phone, phoneKeys, scanned.userId(), scanned.authorizerId(),
          scanned.serverAnchor());
      screen.did("pairing code " + code.substring(0, Math.min(24, code.length())) + "... shown on the laptop;"
          + " the phone answers it, the laptop approves: paired");
      screen.why("only devices alice approved hold her trust: each sync session checks the other side's key");

      screen.step("Same data model on both: a replicated table and a document collection");
      Documents laptopDocs = laptop.documents(USER);
      Documents phoneDocs = phone.documents(USER);
      for (Cfost db : List.of(laptop, phone)) {
        sql(db, TABLE);
        db.replicate("todo");
      }
      sql(laptop, "INSERT INTO todo(id, title) VALUES ('t1', 'buy milk'), ('t2', 'call mom'), ('t3', 'fix bike')");
      Document shopping = laptopDocs.create("shopping", JSON.readTree("{\"items\":[\"milk\"]}"));
      screen.did("the laptop adds t1 'buy milk', t2 'call mom', t3 'fix bike' and the document 'shopping' "
          + shopping.content());

      screen.step("Live peer-to-peer sync over TLS on 127.0.0.1");
      List<Peer> lan = net.peerToPeer(laptop, laptopTrust, phone, phoneTrust);
      net.await("the phone has the laptop's rows and document",
          () -> rows(phone).size() == 3 && phoneDocs.get(shopping.id()).isPresent());
      screen.did("p2p: the phone has " + rows(phone).size() + " rows and the document " + phoneDocs.get(shopping.id()).orElseThrow().content());
      screen.why("a session sends each side the changes the other has not seen yet");
      for (Peer p : lan) {
        p.close();
      }

      screen.step("Offline, both devices edit the same rows and the same document");
      sql(phone, "UPDATE todo SET title = 'buy soy milk' WHERE id = 't1'", "DELETE FROM todo WHERE id = 't2'",
          "UPDATE todo SET done = 1 WHERE id = 't3'");
      phoneDocs.update(shopping.id(), JSON.readTree("[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"bread\"}]"));
      phone.capture();
      screen.did("phone:  t1 title 'buy soy milk', deletes t2, t3 done; adds 'bread' to the list");
      Thread.sleep(20); // so that the laptop's edits are unambiguously the later ones
      sql(laptop, "UPDATE todo SET title = 'buy oat milk' WHERE id = 't1'",
          "UPDATE todo SET title = 'call mom tonight' WHERE id = 't2'",
          "UPDATE todo SET title = 'fix bike tyre' WHERE id = 't3'",
          "INSERT INTO todo(id, title) VALUES ('t4', 'water plants')");
      laptopDocs.update(shopping.id(), JSON.readTree("[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"eggs\"}]"));
      laptop.capture();
      screen.did("laptop: t1 title 'buy oat milk' (later), t2 title 'call mom tonight', t3 title 'fix bike tyre',"
          + " adds t4; adds 'eggs' to the list");

      screen.step("Sync through a sync server on 127.0.0.1");
      URI url = net.startServer(folder.resolve("server"));
      ServerClient laptopServer = ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(laptop.path())).build();
      laptopServer.register(USER, "alice@example.org", PASSWORD.clone());
      laptopServer.login(USER, PASSWORD.clone());
      ServerClient phoneServer = ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(phone.path())).build();
      phoneServer.login(USER, PASSWORD.clone());
      Peer laptopViaServer = net.viaServer(laptop, laptopTrust, laptopKeys, alice, laptopServer);
      // The server learns the phone from the laptop's device list: let that arrive before the phone connects.
      net.await("the server has the laptop's changes",
          () -> laptopViaServer.progress().stream().anyMatch(p -> p.caughtUp() && p.delivered()));
      net.viaServer(phone, phoneTrust, phoneKeys, alice, phoneServer);
      net.await("both devices converge through the server", () -> sameTodos(laptop, phone)
          && Objects.equals(content(laptopDocs, shopping.id()), content(phoneDocs, shopping.id()))
          && laptopDocs.history(shopping.id()).size() == 3);
      screen.did("alice logs in from both devices at " + url + "; each syncs with the server, not with the other");
      screen.why("the server relays what the devices sealed with their keys: it cannot forge a change");
      explainTable(laptop);

      screen.step("The converged tables");
      QueryResult a = table(laptop);
      QueryResult b = table(phone);
      screen.block("laptop.db", a.toText());
      screen.block("phone.db", b.toText());

      screen.step("The document, edited on both devices: its history");
      screen.block("shopping " + content(laptopDocs, shopping.id()), history(laptopDocs.history(shopping.id()), laptop, phone));
      screen.why("both insertions are kept, in merge order: by hybrid-clock time, then by device");

      screen.step("Undo and time travel");
      Document undone = laptopDocs.undo(shopping.id());
      laptop.capture(); // the CLI's databases capture on demand: hand the undo to the running session now
      screen.did("undo on the laptop: " + undone.content() + " (version " + undone.version() + ")");
      screen.why("undo reverts alice's own last change, the laptop's 'eggs', as a new revision that syncs");
      net.await("the phone has the undo", () -> Objects.equals(content(phoneDocs, shopping.id()), undone.content()));
      screen.did("the phone has it too: " + content(phoneDocs, shopping.id()));
      screen.did("time travel: version 1 " + laptopDocs.at(shopping.id(), 1).content() + ", version 3 "
          + laptopDocs.at(shopping.id(), 3).content());
      screen.why("every revision keeps its patch, so any version can be rebuilt");

      boolean converged = same(table(laptop), table(phone))
          && Objects.equals(content(laptopDocs, shopping.id()), content(phoneDocs, shopping.id()));
      screen.verdict(converged);
      return converged ? 0 : 1;
    }
  }

  private Path prepareFolder() throws IOException {
    if (dir == null) {
      return Files.createTempDirectory("cfost-demo-");
    }
    Path folder = dir.toAbsolutePath().normalize();
    Files.createDirectories(folder);
    for (String name : new String[] {"laptop.db", "phone.db", "server"}) {
      if (Files.exists(folder.resolve(name))) {
        throw new CliException("demo folder " + folder + " already holds " + name + "; choose an empty folder");
      }
    }
    return folder;
  }

  /** One line of what each conflicting row became, read from the table, and one of the rule that chose it. */
  private void explainTable(Cfost laptop) throws SQLException {
    screen.did("t1's title: '" + value(laptop, "SELECT title FROM todo WHERE id = 't1'") + "' from the laptop");
    screen.why("both edited t1's title: the later edit of that column wins");
    screen.did("t2 deleted: " + (value(laptop, "SELECT count(*) FROM todo WHERE id = 't2'").equals("0") ? "yes" : "no"));
    screen.why("a delete beats an update of the row it deletes");
    screen.did("t3's done flag " + value(laptop, "SELECT done FROM todo WHERE id = 't3'") + " from the phone, its title '"
        + value(laptop, "SELECT title FROM todo WHERE id = 't3'") + "' from the laptop");
    screen.why("each column merges on its own");
  }

  /** One line per revision: version, kind, which device, what it wrote. */
  private static String history(List<Revision> revisions, Cfost laptop, Cfost phone) {
    String laptopSite = HexFormat.of().formatHex(laptop.siteId());
    String phoneSite = HexFormat.of().formatHex(phone.siteId());
    StringBuilder text = new StringBuilder();
    for (Revision r : revisions) {
      String device = r.device().equals(laptopSite) ? "laptop" : r.device().equals(phoneSite) ? "phone" : r.device();
      text.append("v").append(r.version()).append(' ').append(r.kind().name().toLowerCase()).append(" on the ")
          .append(device).append(": ").append(r.patch()).append(r.applied() ? "" : " (no-op: " + r.reason() + ")")
          .append('\n');
    }
    return text.toString();
  }

  private static JsonNode content(Documents docs, String id) {
    return docs.get(id).map(Document::content).orElse(null);
  }

  private static void sql(Cfost db, String... statements) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  private static String value(Cfost db, String query) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
      return rs.next() ? String.valueOf(rs.getObject(1)) : "";
    }
  }

  private static List<List<Object>> rows(Cfost db) {
    try {
      return table(db).rows();
    } catch (SQLException e) {
      throw new CliException("reading todo: " + e.getMessage(), e);
    }
  }

  private static boolean sameTodos(Cfost a, Cfost b) {
    try {
      return same(table(a), table(b)) && table(a).rows().size() == 3;
    } catch (SQLException e) {
      throw new CliException("reading todo: " + e.getMessage(), e);
    }
  }

  private static QueryResult table(Cfost db) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, title, done FROM todo ORDER BY id")) {
      return QueryResult.read(rs);
    }
  }

  /** Same rows with the same values of the same SQLite types. */
  static boolean same(QueryResult a, QueryResult b) {
    if (!a.columns().equals(b.columns()) || a.rows().size() != b.rows().size()) {
      return false;
    }
    for (int r = 0; r < a.rows().size(); r++) {
      List<Object> x = a.rows().get(r);
      List<Object> y = b.rows().get(r);
      for (int c = 0; c < x.size(); c++) {
        if (!Values.equal(x.get(c), y.get(c))) {
          return false;
        }
      }
    }
    return true;
  }
}
