package dev.cfost.cli.internal.tasks;

import dev.cfost.Cfost;
import dev.cfost.ChangeEvent;
import dev.cfost.Registration;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive {@code cfost tasks}: a full-screen list of the tasks with key hints, redrawn when a
 * key is pressed, the terminal is resized, or a change lands in the database (from a peer, the server,
 * the daemon or another command), without a key press.
 *
 * <p>Only the screen's thread touches its state and the store; the change listener and the signal
 * handlers only set flags that the screen's loop polls every {@value #POLL_MILLIS} ms. The terminal is
 * restored on every way out: q, Ctrl-C, an error, and a JVM shutdown (SIGTERM).
 */
public final class TaskScreen {
  /** How long a key read waits before the loop looks at the flags again: the delay of a live redraw. */
  static final long POLL_MILLIS = 100;
  private static final int ESC = 27;
  private static final String HINTS = "up/down j/k move  a add  e edit  space done  p priority  d delete"
      + "  / filter  q quit";

  private final Terminal terminal;
  private final PrintWriter screen;
  private final TaskStore store;
  private final String where;
  private final TaskKeys keys;
  /** Set by the change listener and the signal handlers; read by the screen's loop. */
  private final AtomicBoolean changed = new AtomicBoolean();
  private final AtomicBoolean changedElsewhere = new AtomicBoolean();
  private final AtomicBoolean resized = new AtomicBoolean();
  private volatile boolean interrupted;
  private final AtomicBoolean restored = new AtomicBoolean();

  private List<Task> all = List.of();
  private List<Task> shown = List.of();
  private int selected;
  private int top;
  private String filter = "";
  private String message = "";
  private boolean messageIsError;
  private Mode mode = Mode.LIST;
  private final StringBuilder input = new StringBuilder();
  /** The id of the task being edited or confirmed for deletion: a reload may move the selection under it. */
  private String target;
  /** The task as the edit line showed it when the edit began: the save writes only what the line changed. */
  private Task editBegan;
  private boolean quit;

  private enum Mode { LIST, ADD, EDIT, FILTER, CONFIRM_DELETE }

  private TaskScreen(Terminal terminal, TaskStore store, String where) {
    this.terminal = terminal;
    this.screen = terminal.writer();
    this.store = store;
    this.where = where;
    this.keys = new TaskKeys(terminal.reader());
  }

  /**
   * Runs the screen on the process's terminal until the user quits.
   *
   * @param where what the header names: the database file
   * @throws IllegalStateException if there is no interactive terminal (a pipe, or TERM=dumb)
   */
  public static void run(Cfost db, TaskStore store, String where) throws IOException {
    try (Terminal terminal = TerminalBuilder.builder().system(true).nativeSignals(true).build()) {
      if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
        throw new IllegalStateException("cfost tasks needs an interactive terminal (TERM is '"
            + terminal.getType() + "'); in scripts use 'cfost tasks list', 'cfost tasks add' and the others");
      }
      TaskScreen s = new TaskScreen(terminal, store, where);
      try (Registration r = db.addListener(s::onChange)) {
        s.loop();
      }
    }
  }

  private void onChange(ChangeEvent e) {
    if (!e.tables().isEmpty() && !e.tables().contains(TaskStore.TABLE)) {
      return;
    }
    // Every change to the tasks reloads them: also a plain SQLite write of another program, which this
    // engine captures as its own. A merge (REMOTE) or another engine's commit (a LOCAL event without
    // rows) is news from elsewhere, and the status line says so.
    if (e.origin() == ChangeEvent.Origin.REMOTE || e.rows().isEmpty()) {
      changedElsewhere.set(true);
    }
    changed.set(true);
  }

  private void loop() throws IOException {
    Attributes saved = terminal.enterRawMode();
    Thread restoreOnExit = new Thread(() -> restore(saved), "cfost-tasks-restore");
    Runtime.getRuntime().addShutdownHook(restoreOnExit);
    terminal.handle(Terminal.Signal.INT, s -> interrupted = true);
    terminal.handle(Terminal.Signal.WINCH, s -> resized.set(true));
    screen.print("\033[?1049h\033[?25l"); // the alternate screen, so the shell's text is back on exit
    try {
      reload();
      draw();
      while (!quit && !interrupted) {
        boolean redraw = resized.getAndSet(false);
        if (changed.getAndSet(false)) {
          reload();
          redraw = true;
        }
        if (changedElsewhere.getAndSet(false)) {
          say("changes arrived from elsewhere at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS), false);
        }
        int key = keys.next(POLL_MILLIS);
        if (key != TaskKeys.NONE) {
          onKey(key);
          redraw = true;
        }
        if (redraw) {
          draw();
        }
      }
    } finally {
      restore(saved);
      try {
        Runtime.getRuntime().removeShutdownHook(restoreOnExit);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs anyway and finds the terminal restored.
      }
    }
  }

  private void restore(Attributes saved) {
    if (restored.compareAndSet(false, true)) {
      screen.print("\033[0m\033[?25h\033[?1049l");
      screen.flush();
      terminal.setAttributes(saved);
    }
  }

  private void onKey(int key) {
    try {
      switch (mode) {
        case LIST -> listKey(key);
        case CONFIRM_DELETE -> confirmKey(key);
        default -> inputKey(key);
      }
    } catch (RuntimeException e) {
      // A refused title or tag, a task deleted meanwhile: say so and stay on the screen.
      say(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), true);
    }
  }

  private void listKey(int key) {
    Task current = selectedTask();
    switch (key) {
      case TaskKeys.UP, 'k' -> select(selected - 1);
      case TaskKeys.DOWN, 'j' -> select(selected + 1);
      case TaskKeys.PAGE_UP -> select(selected - listRows());
      case TaskKeys.PAGE_DOWN -> select(selected + listRows());
      case TaskKeys.HOME, 'g' -> select(0);
      case TaskKeys.END, 'G' -> select(shown.size() - 1);
      case 'a' -> startInput(Mode.ADD, "");
      case 'e', '\r', '\n' -> {
        if (current != null) {
          target = current.id();
          editBegan = current;
          startInput(Mode.EDIT, TaskInput.format(current));
        }
      }
      case ' ', 'x' -> {
        if (current != null) {
          store.update(current, current.withDone(!current.done()));
          reload();
          say((current.done() ? "reopened: " : "done: ") + current.title(), false);
        }
      }
      case 'p' -> {
        if (current != null) {
          store.update(current, current.withPriority(current.priority().next()));
          reload();
          say("priority " + current.priority().next().word() + ": " + current.title(), false);
        }
      }
      case 'd', TaskKeys.DELETE -> {
        if (current != null) {
          target = current.id();
          mode = Mode.CONFIRM_DELETE;
        }
      }
      case '/' -> startInput(Mode.FILTER, filter);
      case ESC -> {
        filter = "";
        applyFilter();
      }
      case 'q', 3, 4 -> quit = true; // 3 and 4: Ctrl-C and Ctrl-D when the terminal sends them as keys
      default -> { }
    }
  }

  private void confirmKey(int key) {
    mode = Mode.LIST;
    Task current = task(target);
    if ((key == 'y' || key == 'Y') && current == null) {
      say("the task was deleted meanwhile", false);
    } else if (key == 'y' || key == 'Y') {
      store.delete(current);
      reload();
      say("deleted: " + current.title(), false);
    } else {
      say("not deleted", false);
    }
  }

  private void startInput(Mode m, String initial) {
    mode = m;
    input.setLength(0);
    input.append(initial);
    say("", false);
  }

  private void inputKey(int key) {
    if (key == ESC || key == 3) {
      if (mode == Mode.FILTER) {
        filter = "";
        applyFilter();
      }
      mode = Mode.LIST;
      say("", false);
    } else if (key == '\r' || key == '\n') {
      submit();
    } else if (key == 127 || key == 8) {
      if (input.length() > 0) {
        input.setLength(input.offsetByCodePoints(input.length(), -1));
      }
    } else if (key == 21) { // Ctrl-U, as in a shell
      input.setLength(0);
    } else if (key >= ' ' && key < TaskKeys.UP && input.length() < TaskInput.MAX_TITLE + 200) {
      input.appendCodePoint(key);
    }
    if (mode == Mode.FILTER) {
      filter = input.toString();
      applyFilter();
    }
  }

  private void submit() {
    String line = input.toString();
    switch (mode) {
      case ADD -> {
        if (!line.isBlank()) {
          TaskInput in = TaskInput.parse(line, Task.Priority.MEDIUM);
          Task added = store.add(in.title(), in.priority(), in.tags());
          reload();
          select(shown.indexOf(shown.stream().filter(t -> t.id().equals(added.id())).findFirst().orElse(null)));
          say("added: " + added.title(), false);
        }
      }
      case EDIT -> {
        Task current = task(target);
        if (current == null) {
          say("the task was deleted meanwhile; nothing saved", true);
        } else {
          // Against the task as the line showed it, not as it is now: a field another device changed while
          // this line was edited keeps that change unless the line changed it too.
          TaskInput in = TaskInput.parse(line, editBegan.priority());
          store.update(editBegan, edited(editBegan, in));
          reload();
          say("saved: " + in.title(), false);
        }
      }
      default -> { }
    }
    mode = Mode.LIST;
  }

  /**
   * {@code began} with what the line {@code in} changed: a field the line reads back as it showed it stays
   * as stored (the line cannot show every stored value exactly: its words are joined by one space, tags
   * come lower-cased), so that the save neither rewrites it nor overwrites a change made elsewhere meanwhile.
   */
  private static Task edited(Task began, TaskInput in) {
    TaskInput shown;
    try {
      shown = TaskInput.parse(TaskInput.format(began), began.priority());
    } catch (IllegalArgumentException e) {
      shown = null; // a stored value the line cannot hold (from another app): every field as the line has it
    }
    Task t = began;
    if (shown == null || !in.title().equals(shown.title())) {
      t = t.withTitle(in.title());
    }
    if (shown == null || in.priority() != shown.priority()) {
      t = t.withPriority(in.priority());
    }
    if (shown == null || !in.tags().equals(shown.tags())) {
      t = t.withTags(in.tags());
    }
    return t;
  }

  private void reload() {
    String id = selectedTask() == null ? null : selectedTask().id();
    all = store.list();
    applyFilter();
    for (int i = 0; i < shown.size(); i++) {
      if (shown.get(i).id().equals(id)) {
        select(i);
      }
    }
  }

  private void applyFilter() {
    shown = all.stream().filter(t -> t.matches(filter)).toList();
    select(selected);
  }

  private void select(int index) {
    selected = Math.max(0, Math.min(index, shown.size() - 1));
  }

  private Task task(String id) {
    return all.stream().filter(t -> t.id().equals(id)).findFirst().orElse(null);
  }

  private Task selectedTask() {
    return selected < shown.size() ? shown.get(selected) : null;
  }

  private void say(String text, boolean error) {
    message = text;
    messageIsError = error;
  }

  private int width() {
    Size size = terminal.getSize();
    return size.getColumns() > 0 ? size.getColumns() : 80;
  }

  private int height() {
    Size size = terminal.getSize();
    return size.getRows() > 0 ? size.getRows() : 24;
  }

  /** Rows for tasks: the header, the status line and the hint line take three. */
  private int listRows() {
    return Math.max(1, height() - 4);
  }

  private void draw() {
    int width = width();
    int rows = listRows();
    if (selected < top) {
      top = selected;
    } else if (selected >= top + rows) {
      top = selected - rows + 1;
    }
    top = Math.max(0, Math.min(top, Math.max(0, shown.size() - rows)));
    StringBuilder out = new StringBuilder();
    long open = all.stream().filter(t -> !t.done()).count();
    ScreenLine header = new ScreenLine(width, ScreenLine.REVERSE).add(" cfost tasks  ", ScreenLine.BOLD)
        .add(open + " open, " + (all.size() - open) + " done");
    if (!filter.isEmpty()) {
      header.add("  filter: " + filter);
    }
    header.add("  " + where);
    row(out, 1, header.render());
    row(out, 2, "");
    for (int i = 0; i < rows; i++) {
      int index = top + i;
      String line = index < shown.size() ? taskLine(shown.get(index), index == selected, width)
          : i == 0 && shown.isEmpty() ? emptyLine(width) : "";
      row(out, i + 3, line);
    }
    row(out, height() - 1, new ScreenLine(width, "").add(message, messageIsError ? ScreenLine.RED : "").render());
    row(out, height(), bottomLine(width));
    screen.print(out);
    screen.flush();
  }

  private static void row(StringBuilder out, int row, String text) {
    out.append("\033[").append(row).append(";1H").append(text).append("\033[K");
  }

  private String emptyLine(int width) {
    return new ScreenLine(width, "").add(filter.isEmpty() ? "  No tasks yet: press a to add one."
        : "  No task matches '" + filter + "'; Esc shows all.", ScreenLine.DIM).render();
  }

  private static String taskLine(Task t, boolean selected, int width) {
    ScreenLine line = new ScreenLine(width, selected ? ScreenLine.REVERSE : "");
    line.add(selected ? "> " : "  ");
    line.add(t.done() ? "[x] " : "[ ] ", t.done() ? ScreenLine.GREEN : "");
    switch (t.priority()) {
      case HIGH -> line.add("!!! ", ScreenLine.RED);
      case MEDIUM -> line.add("!!  ", ScreenLine.YELLOW);
      default -> line.add("!   ", ScreenLine.DIM);
    }
    line.add(t.title(), t.done() ? ScreenLine.DIM : "");
    for (String tag : t.tags()) {
      line.add(" #" + tag, ScreenLine.CYAN);
    }
    line.add("  " + t.shortId(), ScreenLine.DIM);
    return line.render();
  }

  private String bottomLine(int width) {
    ScreenLine line = new ScreenLine(width, "");
    switch (mode) {
      case ADD -> line.add("New task: ", ScreenLine.BOLD).add(input.toString())
          .add("_   (!high !low #tag; Enter saves, Esc cancels)", ScreenLine.DIM);
      case EDIT -> line.add("Edit: ", ScreenLine.BOLD).add(input.toString())
          .add("_   (Enter saves, Esc cancels)", ScreenLine.DIM);
      case FILTER -> line.add("Filter: ", ScreenLine.BOLD).add(input.toString())
          .add("_   (Enter keeps it, Esc clears)", ScreenLine.DIM);
      case CONFIRM_DELETE -> line.add("Delete '" + (task(target) == null ? "" : task(target).title())
          + "'? y deletes, any other key keeps it", ScreenLine.YELLOW);
      default -> line.add(HINTS, ScreenLine.DIM);
    }
    return line.render();
  }
}
