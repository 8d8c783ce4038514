package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.cli.internal.tasks.Task;
import dev.cfost.cli.internal.tasks.TaskScreen;
import dev.cfost.cli.internal.tasks.TaskStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code cfost tasks}: a task manager on the replicated table {@code tasks}. Without a subcommand, the
 * interactive screen ({@link TaskScreen}); the subcommands do the same from scripts. The tasks sync like
 * any replicated table: a running daemon ({@code cfost start}) sends them to peers and the server.
 */
@Command(name = "tasks", mixinStandardHelpOptions = true,
    footer = {"  cfost tasks", "  cfost tasks add 'Renew passport' --priority high --tag admin"},
    description = {"A task manager that syncs: without a subcommand, a full-screen list to add, edit,",
        "complete and delete tasks, updated live when changes arrive from other devices.",
        "Keys: up/down or j/k move, a add, e edit, space or x done, p priority, d delete, / filter, q quit.",
        "Tasks are the replicated table 'tasks', made on first use; 'cfost start' syncs them."})
final class TasksCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (System.console() == null) {
      throw new CliException("the task screen needs a terminal; in scripts use 'cfost tasks list' and the other"
          + " subcommands (see 'cfost tasks --help')");
    }
    Path path = cfost.dbPath();
    // Live: the background capture finds other processes' commits (a daemon's merges) within milliseconds.
    try (Cfost db = CfostCommand.openLive(path); TaskStore store = TaskStore.open(db)) {
      TaskScreen.run(db, store, path.getFileName().toString());
    }
    return 0;
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      footer = {"  cfost tasks add 'Call the plumber' --priority high --tag home --tag today"},
      description = "Add an open task; prints its id (with --json, the task).")
  int add(@Parameters(paramLabel = "TITLE", arity = "1..*", description = "The title (words are joined).") List<String> words,
      @Option(names = "--priority", paramLabel = "low|medium|high", defaultValue = "medium",
          description = "How urgent (default: ${DEFAULT-VALUE}).") String priority,
      @Option(names = "--tag", paramLabel = "TAG", description = "A tag; repeatable.") List<String> tags,
      @Option(names = "--json", description = "Print the task as JSON.") boolean json) {
    Task t = withStore(s -> s.add(String.join(" ", words), Task.Priority.parse(priority), orEmpty(tags)));
    out().println(json ? toJson(t).toString()
        : "added " + Printable.of(t.shortId()) + " " + Printable.of(t.title()));
    return 0;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, footer = {"  cfost tasks list --open --tag home --json"},
      description = "List the tasks: open ones first, the most urgent first.")
  int list(@Option(names = "--open", description = "Only open tasks.") boolean open,
      @Option(names = "--tag", paramLabel = "TAG", description = "Only tasks with this tag.") String tag,
      @Option(names = "--json", description = "Print a JSON array of tasks.") boolean json) {
    List<Task> tasks = withStore(TaskStore::list).stream().filter(t -> !open || !t.done())
        .filter(t -> tag == null || t.tags().contains(tag.toLowerCase(java.util.Locale.ROOT))).toList();
    if (json) {
      ArrayNode a = JSON.createArrayNode();
      tasks.forEach(t -> a.add(toJson(t)));
      out().println(a.toString());
    } else if (tasks.isEmpty()) {
      out().println("no tasks");
    } else {
      List<List<String>> rows = new ArrayList<>();
      for (Task t : tasks) {
        // Titles and tags may come from another device: escape sequences are shown, not obeyed.
        rows.add(List.of(Printable.of(t.shortId()), t.done() ? "done" : "open", t.priority().word(),
            Printable.of(t.title()), Printable.of(String.join(" ", t.tags().stream().map(x -> "#" + x).toList()))));
      }
      out().print(TextTable.render(List.of("id", "status", "priority", "title", "tags"), rows));
    }
    return 0;
  }

  @Command(name = "edit", mixinStandardHelpOptions = true,
      footer = {"  cfost tasks edit 3f2a --title 'Call the plumber today' --priority high"},
      description = "Change a task's title, priority or tags; only what is given changes (and syncs).")
  int edit(@Parameters(paramLabel = "ID", description = "The id or its start.") String id,
      @Option(names = "--title", paramLabel = "TITLE") String title,
      @Option(names = "--priority", paramLabel = "low|medium|high") String priority,
      @Option(names = "--tag", paramLabel = "TAG", description = "The new tags, replacing all; repeatable.") List<String> tags,
      @Option(names = "--no-tags", description = "Remove all tags.") boolean noTags,
      @Option(names = "--json", description = "Print the task as JSON.") boolean json) {
    if (title == null && priority == null && tags == null && !noTags) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine().getSubcommands().get("edit"),
          "nothing to change: give --title, --priority, --tag or --no-tags");
    }
    return change(id, json, "saved", (s, t) -> {
      Task c = t;
      c = title == null ? c : c.withTitle(title);
      c = priority == null ? c : c.withPriority(Task.Priority.parse(priority));
      c = noTags ? c.withTags(List.of()) : tags == null ? c : c.withTags(tags);
      return s.update(t, c);
    });
  }

  @Command(name = "done", mixinStandardHelpOptions = true, footer = {"  cfost tasks done 3f2a"},
      description = "Mark a task done.")
  int done(@Parameters(paramLabel = "ID", description = "The id or its start.") String id,
      @Option(names = "--json", description = "Print the task as JSON.") boolean json) {
    return change(id, json, "done", (s, t) -> s.update(t, t.withDone(true)));
  }

  @Command(name = "reopen", mixinStandardHelpOptions = true, footer = {"  cfost tasks reopen 3f2a"},
      description = "Mark a done task open again.")
  int reopen(@Parameters(paramLabel = "ID", description = "The id or its start.") String id,
      @Option(names = "--json", description = "Print the task as JSON.") boolean json) {
    return change(id, json, "reopened", (s, t) -> s.update(t, t.withDone(false)));
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, footer = {"  cfost tasks delete 3f2a"},
      description = "Delete a task, on every device once synced.")
  int delete(@Parameters(paramLabel = "ID", description = "The id or its start.") String id,
      @Option(names = "--json", description = "Print the deleted task as JSON.") boolean json) {
    return change(id, json, "deleted", (s, t) -> {
      s.delete(t);
      return t;
    });
  }

  private int change(String id, boolean json, String verb, BiFunction<TaskStore, Task, Task> action) {
    Task t = withStore(s -> action.apply(s, s.find(id)));
    out().println(json ? toJson(t).toString()
        : verb + " " + Printable.of(t.shortId()) + " " + Printable.of(t.title()));
    return 0;
  }

  private <T> T withStore(Function<TaskStore, T> call) {
    try (Cfost db = cfost.open(false); TaskStore store = TaskStore.open(db)) {
      return call.apply(store);
    }
  }

  private static List<String> orEmpty(List<String> list) {
    return list == null ? List.of() : list;
  }

  private static ObjectNode toJson(Task t) {
    ObjectNode o = JSON.createObjectNode().put("id", t.id()).put("title", t.title()).put("done", t.done())
        .put("priority", t.priority().word());
    o.set("tags", JSON.valueToTree(t.tags()));
    return o.put("created", t.created()).put("updated", t.updated());
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
