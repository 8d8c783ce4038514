package dev.cfost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.internal.documents.Json;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * A task-document trace with seed 002's task fields ({@code title, description, status, priority,
 * tags}): each task is created, then edited 5 to 30 times as a task app does (status moves on, priority
 * and tags change, the title is retyped, the description grows or is rewritten: whole-field replaces,
 * as an app's form sends them), every edit one {@code update} through the public API. Seeded.
 */
final class TaskTrace {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String[] WORDS = ("the a to of and for in on with review update fix release notes client"
      + " server sync draft deadline meeting budget report design test data user login page bug crash api"
      + " docs team plan week call invoice order backup migrate deploy check").split(" ");
  private static final String[] STATUS = {"pending", "in_progress", "completed"};
  private static final String[] PRIORITY = {"low", "medium", "high"};
  private static final String[] TAGS = {"work", "important", "home", "urgent", "later", "errand", "q3", "blocked"};

  record Result(int tasks, long revisions, Stopwatch.Span updateTime, long updates, long snapshotBytes,
      long revisionBodyBytes, long vacuumedBytes, long fileBytes) {
    void print() {
      System.out.printf(Locale.ROOT, "task trace: %,d task documents, %,d revisions (%,d updates at %.0f us each,"
          + " CPU %.0f us)%n", tasks, revisions, updates, updateTime.wall() / 1e3 / updates,
          updateTime.cpu() / 1e3 / updates);
      System.out.printf(Locale.ROOT, "  full snapshots of every version: %.1f bytes a revision%n",
          snapshotBytes / (double) revisions);
      System.out.printf(Locale.ROOT, "  replicated revision bodies:      %.1f bytes a revision (%s of the snapshots)%n",
          revisionBodyBytes / (double) revisions, DocumentsBench.pct(revisionBodyBytes, snapshotBytes));
      System.out.printf(Locale.ROOT, "  whole file after VACUUM:         %.1f bytes a revision (%s of the snapshots;"
          + " file as written %.1f)%n", vacuumedBytes / (double) revisions,
          DocumentsBench.pct(vacuumedBytes, snapshotBytes), fileBytes / (double) revisions);
    }
  }

  static Result run(Path file, int tasks, long seed) throws Exception {
    Random r = new Random(seed);
    long revisions = 0;
    long updates = 0;
    Stopwatch.Span updateTime = Stopwatch.ZERO;
    long snapshots = 0;
    try (Cfost db = Cfost.open(file)) {
      Documents docs = db.documents("alice");
      for (int t = 0; t < tasks; t++) {
        String id = "task-" + t;
        ObjectNode task = NODES.objectNode();
        task.put("title", sentence(r, 3 + r.nextInt(5)));
        task.put("description", sentence(r, 8 + r.nextInt(30)));
        task.put("status", "pending");
        task.put("priority", PRIORITY[r.nextInt(3)]);
        ArrayNode tags = task.putArray("tags");
        tags.add(TAGS[r.nextInt(TAGS.length)]);
        Document d = docs.create(id, task.get("title").textValue(), task);
        snapshots += Json.write(d.content()).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        revisions++;
        int edits = 5 + r.nextInt(26);
        for (int e = 0; e < edits; e++) {
          JsonNode patch = edit(r, d.content());
          Stopwatch w = Stopwatch.start();
          d = docs.update(id, patch);
          updateTime = updateTime.plus(w.stop());
          updates++;
          revisions++;
          snapshots += Json.write(d.content()).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
      }
    }
    DbSize size = DbSize.of(file);
    return new Result(tasks, revisions, updateTime, updates, snapshots, size.revisionBodyBytes(),
        size.vacuumedBytes(), size.fileBytes());
  }

  /** One edit of a task as an RFC 6902 patch. */
  private static JsonNode edit(Random r, JsonNode task) {
    ArrayNode patch = NODES.arrayNode();
    int kind = r.nextInt(100);
    if (kind < 30) {
      patch.addObject().put("op", "replace").put("path", "/status").put("value", STATUS[r.nextInt(3)]);
    } else if (kind < 45) {
      patch.addObject().put("op", "replace").put("path", "/priority").put("value", PRIORITY[r.nextInt(3)]);
    } else if (kind < 55) {
      patch.addObject().put("op", "add").put("path", "/tags/-").put("value", TAGS[r.nextInt(TAGS.length)]);
    } else if (kind < 60 && task.get("tags").size() > 0) {
      patch.addObject().put("op", "remove").put("path", "/tags/" + r.nextInt(task.get("tags").size()));
    } else if (kind < 70) {
      patch.addObject().put("op", "replace").put("path", "/title").put("value", sentence(r, 3 + r.nextInt(5)));
    } else if (kind < 90) {
      String d = task.get("description").textValue();
      patch.addObject().put("op", "replace").put("path", "/description").put("value", d + " " + sentence(r, 4 + r.nextInt(12)));
    } else {
      patch.addObject().put("op", "replace").put("path", "/description").put("value", sentence(r, 8 + r.nextInt(30)));
    }
    return patch;
  }

  private static String sentence(Random r, int words) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < words; i++) {
      s.append(i == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
    }
    s.setCharAt(0, Character.toUpperCase(s.charAt(0)));
    return s.append('.').toString();
  }

  private TaskTrace() {}
}
