package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.MergeResult;
import dev.cfost.Values;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost demo}: two replicas, a laptop and a phone, edit a to-do list offline, concurrently and in
 * conflict, then swap JSON Lines bundles as if on a USB stick (the same code as export and import) and
 * end up with the same table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    footer = "  cfost demo --dir /tmp/cfost-demo",
    description = {"Show two replicas editing offline, swapping bundles and converging.",
        "Makes laptop.db and phone.db in DIR; exits 1 if they do not converge."})
final class DemoCommand implements Callable<Integer> {
  private static final String TABLE = "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)";

  @Spec CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where to make the two databases (default: a new temporary folder).")
  Path dir;

  private PrintWriter out;

  @Override
  public Integer call() throws IOException, SQLException, InterruptedException {
    out = spec.commandLine().getOut();
    Path folder = prepareFolder();
    out.println("demo folder " + folder);
    try (Cfost laptop = CfostCommand.open(folder.resolve("laptop.db"));
        Cfost phone = CfostCommand.open(folder.resolve("phone.db"))) {
      sql(laptop, TABLE);
      sql(phone, TABLE);
      laptop.replicate("todo");
      phone.replicate("todo");
      out.println("1. laptop and phone each create the table todo(id, title, done) and replicate it");

      sql(laptop, "INSERT INTO todo(id, title) VALUES ('t1', 'buy milk'), ('t2', 'call mom')");
      sql(phone, "INSERT INTO todo(id, title) VALUES ('t3', 'fix bike')");
      out.println("2. laptop adds t1 'buy milk', t2 'call mom'; phone adds t3 'fix bike'");
      long[] since = new long[2]; // what each side has already sent: [laptop, phone]
      out.println("3. sync by USB stick: " + exchange(folder, laptop, phone, since, 1));

      out.println("4. offline, at the same time:");
      sql(laptop, "UPDATE todo SET title = 'buy oat milk' WHERE id = 't1'",
          "UPDATE todo SET title = 'call mom tonight' WHERE id = 't2'",
          "UPDATE todo SET done = 1 WHERE id = 't3'",
          "INSERT INTO todo(id, title) VALUES ('t4', 'water plants')");
      laptop.capture();
      out.println("   laptop: t1 title 'buy oat milk', t2 title 'call mom tonight', t3 done, adds t4");
      Thread.sleep(5); // so that the phone's edit of t2 is unambiguously the later one
      sql(phone, "UPDATE todo SET done = 1 WHERE id = 't1'",
          "UPDATE todo SET title = 'call mom on sunday' WHERE id = 't2'",
          "DELETE FROM todo WHERE id = 't3'");
      phone.capture();
      out.println("   phone:  t1 done, t2 title 'call mom on sunday' (later), deletes t3");
      out.println("5. sync by USB stick: " + exchange(folder, laptop, phone, since, 2));

      QueryResult a = table(laptop);
      QueryResult b = table(phone);
      out.println();
      out.println("laptop.db");
      out.print(a.toText());
      out.println();
      out.println("phone.db");
      out.print(b.toText());
      out.println();
      out.println("why: both edits of t1 survive (different columns), the later title of t2 wins,"
          + " the delete of t3 beats the update");
      boolean converged = same(a, b);
      out.println("converged: " + (converged ? "yes" : "NO"));
      return converged ? 0 : 1;
    }
  }

  private Path prepareFolder() throws IOException {
    if (dir == null) {
      return Files.createTempDirectory("cfost-demo-");
    }
    Path folder = dir.toAbsolutePath().normalize();
    Files.createDirectories(folder);
    for (String name : new String[] {"laptop.db", "phone.db"}) {
      if (Files.exists(folder.resolve(name))) {
        throw new CliException("demo folder " + folder + " already holds " + name + "; choose an empty folder");
      }
    }
    return folder;
  }

  /** Both ways through bundle files, each carrying only what its sender has not sent before. */
  private static String exchange(Path folder, Cfost laptop, Cfost phone, long[] since, int round) throws IOException {
    return carry(folder, round, "laptop", laptop, "phone", phone, since, 0) + "; "
        + carry(folder, round, "phone", phone, "laptop", laptop, since, 1);
  }

  private static String carry(Path folder, int round, String fromName, Cfost from, String toName, Cfost to,
      long[] since, int side) throws IOException {
    Path bundle = folder.resolve(fromName + "-to-" + toName + "-" + round + ".jsonl");
    ChangeExport.Summary s = ChangeExport.writeFile(from, since[side], bundle);
    since[side] = s.maxDbVersion();
    MergeResult r;
    try (BufferedReader in = Files.newBufferedReader(bundle, StandardCharsets.UTF_8)) {
      r = ChangeImport.merge(to, in);
    }
    return fromName + " -> " + toName + " " + s.changes() + " changes in " + bundle.getFileName()
        + ", " + r.applied() + " applied";
  }

  private static void sql(Cfost db, String... statements) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
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
