package dev.cfost.examples;

import dev.cfost.Cfost;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/** The README's example: two replicas, plain SQL writes, one exchange of changes. Compiled by the build. */
public final class QuickStart {
  public static void main(String[] args) throws Exception {
    try (Cfost laptop = Cfost.open(Path.of("laptop.db")); Cfost phone = Cfost.open(Path.of("phone.db"))) {
      for (Cfost db : new Cfost[] {laptop, phone}) {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
          s.execute("CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)");
        }
        db.replicate("todo");
      }
      try (Connection c = laptop.connect(); Statement s = c.createStatement()) {
        s.execute("INSERT OR REPLACE INTO todo(id, title) VALUES ('t1', 'buy milk')"); // plain SQL
      }
      ChangeBatch batch = laptop.changes(phone.peerCursor(laptop.siteId()), 2000);
      phone.merge(batch.changes()); // atomic, idempotent, any order
      phone.savePeerCursor(laptop.siteId(), batch.next());
    }
  }

  private QuickStart() {}
}
