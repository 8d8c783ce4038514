package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.server.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The PostgreSQL schema migrates in place, each version in one transaction: a failed step leaves nothing. */
class PostgresSchemaIT {
  @Test
  void aMigrationThatFailsLeavesTheSchemaAsItWasAndTheNextStartMigrates() throws Exception {
    try (Connection c = TestPostgres.connect(TestPostgres.freshDatabase())) {
      c.setAutoCommit(false);
      PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS);
      c.commit();
      int current = PostgresSchema.MIGRATIONS.size();
      assertThat(schema(c)).isEqualTo(current);

      List<List<String>> next = new ArrayList<>(PostgresSchema.MIGRATIONS);
      next.add(List.of("CREATE TABLE extra(x integer)", "ALTER TABLE no_such_table ADD COLUMN y integer"));
      assertThatThrownBy(() -> PostgresSchema.migrate(c, next)).isInstanceOf(SQLException.class)
          .hasMessageContaining("no_such_table");
      c.rollback();
      assertThat(schema(c)).isEqualTo(current);
      assertThat(exists(c, "extra")).isFalse();

      next.set(next.size() - 1, List.of("CREATE TABLE extra(x integer)"));
      PostgresSchema.migrate(c, next);
      c.commit();
      assertThat(schema(c)).isEqualTo(current + 1);
      assertThat(exists(c, "extra")).isTrue();
      PostgresSchema.migrate(c, next); // nothing left to do
      c.commit();
      assertThat(schema(c)).isEqualTo(current + 1);
    }
  }

  @Test
  void aStoreOfSchemaTwoGainsTheDocumentTablesAndKeepsItsAccounts() throws Exception {
    try (Connection c = TestPostgres.connect(TestPostgres.freshDatabase())) {
      c.setAutoCommit(false);
      PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS.subList(0, 2));
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO accounts VALUES ('u1', 'alice', 'alice', 'a@example.org', 'a@example.org', 'h', 1, null)");
      }
      c.commit();
      assertThat(exists(c, "documents")).isFalse();

      PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS);
      c.commit();
      assertThat(schema(c)).isEqualTo(3);
      assertThat(exists(c, "documents")).isTrue();
      assertThat(exists(c, "document_revisions")).isTrue();
      assertThat(exists(c, "documents_body")).as("the GIN index").isTrue();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM accounts")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("alice");
      }
    }
  }

  private static int schema(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema'")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    } finally {
      c.commit();
    }
  }

  private static boolean exists(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    } finally {
      c.commit();
    }
  }
}
