package dev.cfost.cli.internal.tasks;

import dev.cfost.Cfost;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The tasks of {@code cfost tasks}: an ordinary table {@value #TABLE}, created and made replicated on first
 * use, so that tasks sync with peers and the server like any replicated table (and its schema travels
 * with schema sync to devices that never ran {@code cfost tasks}).
 *
 * <p>Holds one connection; not thread-safe: the interactive screen uses it from its own thread only.
 */
public final class TaskStore implements AutoCloseable {
  public static final String TABLE = "tasks";
  /** Every column has a default: a replicated table needs one on each NOT NULL column. */
  static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + "(id TEXT PRIMARY KEY NOT NULL,"
      + " title TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0,"
      + " priority TEXT NOT NULL DEFAULT 'medium', tags TEXT NOT NULL DEFAULT '',"
      + " created TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL DEFAULT '')";
  private static final Set<String> COLUMNS = Set.of("id", "title", "done", "priority", "tags", "created", "updated");
  /** Open first, then the most urgent, then the oldest: the order a person works through a list. */
  public static final Comparator<Task> ORDER = Comparator.comparing(Task::done)
      .thenComparing(Task::priority, Comparator.reverseOrder()).thenComparing(Task::created)
      .thenComparing(Task::id);

  private final Connection connection;

  private TaskStore(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens the tasks of {@code db}, creating the table and making it replicated if this is the first use.
   *
   * @throws IllegalStateException if a table named {@value #TABLE} exists without the columns tasks need
   */
  public static TaskStore open(Cfost db) {
    Connection c = db.connect();
    try {
      try (Statement s = c.createStatement()) {
        s.execute(DDL);
      }
      Set<String> have = new HashSet<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT name FROM pragma_table_info('" + TABLE + "')")) {
        while (rs.next()) {
          have.add(rs.getString(1));
        }
      }
      if (!have.containsAll(COLUMNS)) {
        Set<String> missing = new HashSet<>(COLUMNS);
        missing.removeAll(have);
        throw new IllegalStateException("the table '" + TABLE + "' exists without the columns " + missing.stream()
            .sorted().toList() + " that cfost tasks needs; rename it or use another database (--db)");
      }
      if (!db.replicatedTables().contains(TABLE)) {
        db.replicate(TABLE);
      }
      return new TaskStore(c);
    } catch (SQLException | RuntimeException e) {
      close(c);
      throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot open the tasks: " + e.getMessage(), e);
    }
  }

  /** Every task, in {@link #ORDER}. */
  public List<Task> list() {
    List<Task> out = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT id, title, done, priority, tags, created, updated FROM " + TABLE)) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Task(rs.getString(1), text(rs.getString(2)), rs.getInt(3) != 0, stored(rs.getString(4)),
              tags(rs.getString(5)), text(rs.getString(6)), text(rs.getString(7))));
        }
      }
    } catch (SQLException e) {
      throw failed("list the tasks", e);
    }
    out.sort(ORDER);
    return out;
  }

  /** Adds an open task and returns it. */
  public Task add(String title, Task.Priority priority, List<String> tags) {
    String now = Instant.now().toString();
    Task t = new Task(UUID.randomUUID().toString(), TaskInput.checkTitle(title), false, priority,
        TaskInput.checkTags(tags), now, now);
    try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + TABLE
        + "(id, title, done, priority, tags, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, t.id());
      ps.setString(2, t.title());
      ps.setInt(3, 0);
      ps.setString(4, priority.word());
      ps.setString(5, String.join(",", t.tags()));
      ps.setString(6, now);
      ps.setString(7, now);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failed("add the task", e);
    }
    return t;
  }

  /**
   * Writes the columns of {@code changed} that differ from {@code before}, and only those: column-level
   * merge then keeps another device's concurrent edit of a different column (a title edited on the
   * phone survives a completion made on the laptop).
   *
   * @return the task as stored, or the unchanged task if nothing differed
   */
  public Task update(Task before, Task changed) {
    List<String> sets = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    if (!before.title().equals(changed.title())) {
      sets.add("title = ?");
      values.add(TaskInput.checkTitle(changed.title()));
    }
    if (before.done() != changed.done()) {
      sets.add("done = ?");
      values.add(changed.done() ? 1 : 0);
    }
    if (before.priority() != changed.priority()) {
      sets.add("priority = ?");
      values.add(changed.priority().word());
    }
    if (!before.tags().equals(changed.tags())) {
      sets.add("tags = ?");
      values.add(String.join(",", TaskInput.checkTags(changed.tags())));
    }
    if (sets.isEmpty()) {
      return before;
    }
    String now = Instant.now().toString();
    sets.add("updated = ?");
    values.add(now);
    values.add(before.id());
    try (PreparedStatement ps = connection.prepareStatement(
        "UPDATE " + TABLE + " SET " + String.join(", ", sets) + " WHERE id = ?")) {
      for (int i = 0; i < values.size(); i++) {
        ps.setObject(i + 1, values.get(i));
      }
      if (ps.executeUpdate() == 0) {
        throw new IllegalStateException("task " + before.shortId() + " is gone (deleted on another device?)");
      }
    } catch (SQLException e) {
      throw failed("update the task", e);
    }
    return new Task(changed.id(), changed.title(), changed.done(), changed.priority(), changed.tags(),
        changed.created(), now);
  }

  /** Deletes a task; deleting one that is already gone is harmless. */
  public void delete(Task task) {
    try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + TABLE + " WHERE id = ?")) {
      ps.setString(1, task.id());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failed("delete the task", e);
    }
  }

  /**
   * The task whose id is {@code idOrPrefix} or starts with it.
   *
   * @throws IllegalArgumentException if none does, or more than one (naming how many)
   */
  public Task find(String idOrPrefix) {
    String p = idOrPrefix.strip();
    if (p.isEmpty()) {
      throw new IllegalArgumentException("an empty task id");
    }
    // Either case: this app writes lower-case UUIDs, another app on the same table may not.
    List<Task> found = list().stream().filter(t -> t.id().regionMatches(true, 0, p, 0, p.length())).toList();
    if (found.isEmpty()) {
      throw new IllegalArgumentException("no task '" + idOrPrefix + "' ('cfost tasks list' shows the ids)");
    }
    if (found.size() == 1) {
      return found.get(0);
    }
    // Only an id as written wins over the ids it starts: one equal but for case is another task's start too
    // ('abc' starts 'abc999' and is 'ABC' in another case), and the right one can be typed in its case.
    return found.stream().filter(t -> t.id().equals(p)).findFirst().orElseThrow(() -> new IllegalArgumentException(
        "'" + idOrPrefix + "' is the start of " + found.size() + " task ids; type more of it, or all of it in its"
            + " case"));
  }

  @Override
  public void close() {
    close(connection);
  }

  private static void close(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // Nothing was pending: every write above committed on its own.
    }
  }

  /** A value another device wrote: anything unknown reads as medium rather than breaking the list. */
  private static Task.Priority stored(String value) {
    try {
      return value == null ? Task.Priority.MEDIUM : Task.Priority.parse(value);
    } catch (IllegalArgumentException e) {
      return Task.Priority.MEDIUM;
    }
  }

  private static List<String> tags(String value) {
    return value == null || value.isBlank() ? List.of()
        : Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private static String text(String value) {
    return value == null ? "" : value;
  }

  private static IllegalStateException failed(String what, SQLException e) {
    return new IllegalStateException("cannot " + what + ": " + e.getMessage(), e);
  }
}
