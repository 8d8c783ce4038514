package dev.cfost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.ChangeBatch;
import dev.cfost.Cfost;
import dev.cfost.Cursor;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.internal.documents.Json;
import dev.cfost.internal.documents.JsonPatch;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeMap;

/**
 * The documents benchmark of issue 13 item 7: the automerge-paper editing trace (259,778 keystrokes) as
 * one document with a revision per keystroke, and a task-document trace of seed 002's fields. Run it with
 * the root script {@code ./bench-documents}; docs/BENCHMARKS-DOCUMENTS.md explains every figure.
 *
 * <p>Every text the benchmark reads back (the latest version on both replicas, every sampled {@code at})
 * is compared with the trace, and any difference fails the run (exit status 1).
 */
public final class DocumentsBench {
  static final String USAGE = """
      Usage: ./bench-documents [--trace FILE] [--keystrokes N] [--single N] [--batch N] [--at N] [--opens N]
                               [--tasks N] [--seed S] [--dir DIR]
        --trace       the automerge-paper trace (default ../shared/traces/automerge-paper.json.gz)
        --keystrokes  replay only the first N keystrokes (default: all)
        --single      keystrokes written one update() call each, at the start and at the end (default 1000 each)
        --batch       keystrokes per updateEach() call in between (default 2000)
        --at          versions read with at(), at random (default 30)
        --opens       times the replica is opened to read the latest version (default 5)
        --tasks       task documents of the task trace (default 500)
        --seed        for the sampled versions and the task trace (default 1)
        --dir         where the database files go (default: a new temporary directory)""";

  private final Options o;
  private boolean failed;

  private DocumentsBench(Options o) {
    this.o = o;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.out.println(USAGE);
      return;
    }
    System.exit(new DocumentsBench(o).run() ? 0 : 1);
  }

  private boolean run() throws Exception {
    System.out.printf(Locale.ROOT, "documents benchmark, %s, Java %s, %d cores, load %.2f%n", Instant.now(),
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), load());
    EditingTrace trace = EditingTrace.load(o.trace);
    int n = o.keystrokes <= 0 ? trace.size() : Math.min(o.keystrokes, trace.size());
    long versions = n + 1L; // the create, then one revision per keystroke
    System.out.printf(Locale.ROOT, "trace %s: %,d keystrokes, replaying %,d (%,d versions)%n", o.trace.getFileName(),
        trace.size(), n, versions);
    TreeMap<Long, String> samples = sampleVersions(versions);

    // 1. The patch path alone, in memory: ArrayList-backed arrays (Jackson's default) against gap buffers.
    Replay figures = memoryReplay(trace, n, true, samples); // untimed: texts and snapshot sizes
    String expected = n == trace.size() ? trace.endContent : figures.text;
    check("in-memory replay ends in the trace's text", figures.text.equals(expected));
    timedReplay(trace, Math.min(n, 20_000), false); // warm-up, not counted
    Stopwatch.Span plain = timedReplay(trace, n, false);
    Stopwatch.Span gap = timedReplay(trace, n, true);
    System.out.printf(Locale.ROOT, "in-memory replay of %,d patches: ArrayList %s, gap buffer %s (%.1fx less CPU)%n",
        n, span(plain), span(gap), plain.cpu() / (double) gap.cpu());

    Files.createDirectories(o.dir);
    Path fileA = o.dir.resolve("writer.db");
    Path fileB = o.dir.resolve("reader.db");
    Ingest ingest = ingest(fileA, trace, n, expected);
    DbSize sizeA = DbSize.of(fileA);
    Replica replica = replicate(fileA, fileB, expected);
    DbSize sizeB = DbSize.of(fileB);
    Times opens = openLatest(fileB, expected);
    Times at = at(fileB, samples);
    TaskTrace.Result tasks = TaskTrace.run(o.dir.resolve("tasks.db"), o.tasks, o.seed);

    report(n, versions, figures, gap, plain, ingest, sizeA, replica, sizeB, opens, at, tasks);
    System.out.println(failed ? "FAILED: see the lines marked FAILED above" : "all checks passed");
    return !failed;
  }

  // ---- 1. in memory ----

  record Replay(String text, long snapshotBytes) {}

  /** Applies keystrokes 0..n-1 through the project's patch path to an in-memory document, timed. */
  private static Stopwatch.Span timedReplay(EditingTrace trace, int n, boolean gapArrays) {
    JsonNode root = trace.startDocument(gapArrays ? Json.MAPPER.getNodeFactory() : JsonNodeFactory.instance);
    List<JsonPatch> patches = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      patches.add(JsonPatch.parse(trace.patch(k)));
    }
    Stopwatch w = Stopwatch.start();
    for (JsonPatch p : patches) {
      root = p.apply(root).root();
    }
    Stopwatch.Span span = w.stop();
    if (root.get("t").size() < 0) {
      throw new AssertionError(); // keeps the replay observable
    }
    return span;
  }

  /**
   * Applies keystrokes 0..n-1 through the project's patch path to an in-memory document, untimed; records
   * the text at the sampled versions, and the bytes that storing every version as a full snapshot would take.
   */
  private static Replay memoryReplay(EditingTrace trace, int n, boolean gapArrays, TreeMap<Long, String> samples) {
    ObjectNode doc = trace.startDocument(gapArrays ? Json.MAPPER.getNodeFactory() : JsonNodeFactory.instance);
    List<JsonPatch> patches = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      patches.add(JsonPatch.parse(trace.patch(k)));
    }
    long count = doc.get("t").size();
    long elementBytes = 0;
    for (JsonNode c : doc.get("t")) {
      elementBytes += EditingTrace.elementBytes(c.textValue());
    }
    long snapshots = EditingTrace.jsonBytes(count, elementBytes);
    record(samples, 1, doc);
    JsonNode root = doc;
    for (int k = 0; k < n; k++) {
      JsonNode t = root.get("t"); // bookkeeping for the figures, outside the timed part
      for (int d = 0; d < trace.deleted[k]; d++) {
        elementBytes -= EditingTrace.elementBytes(t.get(trace.pos[k] + d).textValue());
      }
      root = patches.get(k).apply(root).root();
      for (int c : trace.inserted[k].codePoints().toArray()) {
        elementBytes += EditingTrace.elementBytes(new String(Character.toChars(c)));
        count++;
      }
      count -= trace.deleted[k];
      snapshots += EditingTrace.jsonBytes(count, elementBytes);
      record(samples, k + 2, root);
    }
    return new Replay(EditingTrace.text(root), snapshots);
  }

  private static void record(TreeMap<Long, String> samples, long version, JsonNode doc) {
    if (samples.containsKey(version)) {
      samples.put(version, EditingTrace.text(doc));
    }
  }

  private TreeMap<Long, String> sampleVersions(long versions) {
    TreeMap<Long, String> out = new TreeMap<>();
    Random r = new Random(o.seed);
    out.put(versions, null); // the latest
    out.put(Math.min(versions, 999), null); // the most revisions after the first checkpoint interval
    while (out.size() < Math.min(o.atSamples, versions)) {
      out.put(1 + (long) (r.nextDouble() * versions), null);
    }
    return out;
  }

  // ---- 2. the writer: ingest through the public API ----

  record Ingest(int singleStart, Stopwatch.Span singleStartTime, int startLength, int batched,
      Stopwatch.Span batchedTime, int singleEnd, Stopwatch.Span singleEndTime, int endLength) {}

  /**
   * Writes the document and every keystroke as a revision through {@link Documents}: the first and the last
   * {@code --single} keystrokes one {@code update} each (on a short and on a long text), the ones between
   * in {@code updateEach} calls of {@code --batch}.
   */
  private Ingest ingest(Path file, EditingTrace trace, int n, String expected) {
    try (Cfost db = Cfost.open(file)) {
      Documents docs = db.documents("martin");
      docs.create("paper", "automerge-paper", trace.startDocument(JsonNodeFactory.instance));
      int first = Math.min(o.single, n);
      int last = Math.max(first, n - o.single);
      Stopwatch w = Stopwatch.start();
      for (int k = 0; k < first; k++) {
        docs.update("paper", trace.patch(k));
      }
      Stopwatch.Span startTime = w.stop();
      int startLength = length(docs);
      w = Stopwatch.start();
      for (int k = first; k < last; k += o.batch) {
        List<JsonNode> patches = new ArrayList<>(o.batch);
        for (int j = k; j < Math.min(last, k + o.batch); j++) {
          patches.add(trace.patch(j));
        }
        docs.updateEach("paper", patches);
      }
      Stopwatch.Span batchedTime = w.stop();
      w = Stopwatch.start();
      for (int k = last; k < n; k++) {
        docs.update("paper", trace.patch(k));
      }
      Stopwatch.Span endTime = w.stop();
      Document d = docs.get("paper").orElseThrow();
      check("the writer's latest version is " + (n + 1), d.version() == n + 1);
      check("the writer's latest text is the trace's", EditingTrace.text(d.content()).equals(expected));
      Ingest in = new Ingest(first, startTime, startLength, last - first, batchedTime, n - last, endTime,
          d.content().get("t").size());
      System.out.printf(Locale.ROOT, "ingest: %,d update() %s; %,d in updateEach() of %,d: %s; %,d update() %s%n",
          in.singleStart, span(startTime), in.batched, o.batch, span(batchedTime), in.singleEnd, span(endTime));
      return in;
    }
  }

  private static int length(Documents docs) {
    return docs.get("paper").orElseThrow().content().get("t").size();
  }

  // ---- 3. the reader: replay on a replica, open, at ----

  record Replica(long changes, Stopwatch.Span merge, Stopwatch.Span fold) {}

  /** A second replica receives every revision through the engine's change exchange, then folds them all. */
  private Replica replicate(Path writer, Path reader, String expected) {
    try (Cfost a = Cfost.open(writer); Cfost b = Cfost.open(reader)) {
      Documents docs = b.documents("reader"); // makes the revisions' table here
      long moved = 0;
      Stopwatch w = Stopwatch.start();
      Cursor cursor = b.peerCursor(a.siteId());
      while (true) {
        ChangeBatch batch = a.changes(cursor, 10_000);
        if (!batch.changes().isEmpty()) {
          b.merge(batch.changes());
        }
        moved += batch.changes().size();
        cursor = batch.next();
        b.savePeerCursor(a.siteId(), cursor);
        if (batch.caughtUp()) {
          break;
        }
      }
      Stopwatch.Span merge = w.stop();
      w = Stopwatch.start();
      Document d = docs.get("paper").orElseThrow(); // folds every revision that arrived
      Stopwatch.Span fold = w.stop();
      check("the reader's latest text is the trace's", EditingTrace.text(d.content()).equals(expected));
      System.out.printf(Locale.ROOT, "replica: %,d changes merged in %s, folded (replay) in %s%n", moved, span(merge),
          span(fold));
      return new Replica(moved, merge, fold);
    }
  }

  /** Wall and CPU seconds of several calls, each sorted. */
  record Times(double[] wall, double[] cpu) {
    static Times of(List<Stopwatch.Span> spans) {
      double[] wall = spans.stream().mapToDouble(x -> x.wall() / 1e9).sorted().toArray();
      double[] cpu = spans.stream().mapToDouble(x -> x.cpu() / 1e9).sorted().toArray();
      return new Times(wall, cpu);
    }
  }

  /** Opening the reader's file and reading the latest version, each time in a fresh {@link Cfost}. */
  private Times openLatest(Path reader, String expected) {
    List<Stopwatch.Span> out = new ArrayList<>();
    for (int i = 0; i < o.opens; i++) {
      Stopwatch w = Stopwatch.start();
      try (Cfost b = Cfost.open(reader)) {
        Document d = b.documents("reader").get("paper").orElseThrow();
        out.add(w.stop());
        check("open " + (i + 1) + " reads the trace's text", EditingTrace.text(d.content()).equals(expected));
      }
    }
    return Times.of(out);
  }

  /** {@code at} for each sampled version, checked against the in-memory replay's text. */
  private Times at(Path reader, TreeMap<Long, String> samples) {
    List<Stopwatch.Span> out = new ArrayList<>();
    try (Cfost b = Cfost.open(reader)) {
      Documents docs = b.documents("reader");
      docs.get("paper");
      for (var e : samples.entrySet()) {
        Stopwatch w = Stopwatch.start();
        Document d = docs.at("paper", e.getKey());
        out.add(w.stop());
        check("at(" + e.getKey() + ") is the text the trace had then", EditingTrace.text(d.content())
            .equals(e.getValue()));
      }
    }
    return Times.of(out);
  }

  // ---- the report ----

  private void report(int n, long versions, Replay figures, Stopwatch.Span gap, Stopwatch.Span plain, Ingest in,
      DbSize a, Replica replica, DbSize b, Times opens, Times at, TaskTrace.Result tasks) {
    System.out.println();
    System.out.println("Times are wall (thread CPU): the machine is shared, and CPU time is the steadier figure.");
    System.out.println("| figure | measured | target |");
    System.out.println("| --- | --- | --- |");
    row("replay of " + String.format(Locale.ROOT, "%,d", n) + " revisions on a replica (fold from the change"
        + " stream, SQLite writes included)", span(replica.fold), "<= 2 s", replica.fold.wall() <= 2e9);
    row("the same patches in memory through the patch path: gap buffer / ArrayList", span(gap) + " / "
        + span(plain), "", null);
    row("merge of the " + String.format(Locale.ROOT, "%,d", replica.changes) + " changes into the replica",
        span(replica.merge), "", null);
    row("open the replica and read the latest version (median of " + opens.wall.length + "; max)",
        secs(median(opens.wall)) + " (" + secs(median(opens.cpu)) + "); " + secs(opens.wall[opens.wall.length - 1]),
        "<= 0.25 s", median(opens.wall) <= 0.25);
    row("at(version), " + at.wall.length + " versions: median / p90 / max", ms(median(at.wall)) + " / "
        + ms(pct(at.wall, 0.9)) + " / " + ms(at.wall[at.wall.length - 1]) + " (CPU " + ms(median(at.cpu)) + " / "
        + ms(pct(at.cpu, 0.9)) + " / " + ms(at.cpu[at.cpu.length - 1]) + ")", "<= 50 ms",
        at.wall[at.wall.length - 1] <= 0.05);
    row("bytes on disk per revision, writer (file / after VACUUM)", perRev(a.fileBytes(), versions) + " / "
        + perRev(a.vacuumedBytes(), versions), "<= 100", a.vacuumedBytes() / (double) versions <= 100);
    row("bytes on disk per revision, reader (file / after VACUUM)", perRev(b.fileBytes(), versions) + " / "
        + perRev(b.vacuumedBytes(), versions), "<= 100", b.vacuumedBytes() / (double) versions <= 100);
    row("replicated revision bodies per revision (bytes)", perRev(a.revisionBodyBytes(), versions), "", null);
    row("full snapshots of every version (bytes, total)", String.format(Locale.ROOT, "%,d", figures.snapshotBytes),
        "", null);
    row("revision bodies against full snapshots", pct(a.revisionBodyBytes(), figures.snapshotBytes)
        + " of the size", "seed 002: ~10%", null);
    row("reader's whole file (after VACUUM) against full snapshots", pct(b.vacuumedBytes(), figures.snapshotBytes)
        + " of the size", "", null);
    row("update(): first " + in.singleStart + " keystrokes (text up to " + in.startLength + " chars)",
        micros(in.singleStartTime, in.singleStart) + " per revision", "", null);
    row("updateEach(): " + String.format(Locale.ROOT, "%,d", in.batched) + " keystrokes, " + o.batch + " a call",
        micros(in.batchedTime, in.batched) + " per revision", "", null);
    row("update(): last " + in.singleEnd + " keystrokes (text about " + in.endLength + " chars)",
        micros(in.singleEndTime, in.singleEnd) + " per revision", "", null);
    System.out.println();
    System.out.println("where the bytes are, reader (after VACUUM; bytes per revision; tables under 1 byte left out):");
    b.tables().forEach((table, bytes) -> {
      if (bytes >= versions) {
        System.out.printf(Locale.ROOT, "  %-40s %s%n", table, perRev(bytes, versions));
      }
    });
    System.out.println();
    tasks.print();
  }

  private static void row(String what, String measured, String target, Boolean met) {
    System.out.printf("| %s | %s | %s |%n", what, measured,
        target.isEmpty() || met == null ? target : target + (met ? " (met)" : " (not met)"));
  }

  static String secs(double s) {
    return String.format(Locale.ROOT, "%.3f s", s);
  }

  private static String ms(double s) {
    return String.format(Locale.ROOT, "%.1f ms", s * 1000);
  }

  private static String micros(Stopwatch.Span s, int count) {
    return count == 0 ? "-" : String.format(Locale.ROOT, "%.0f us (%.0f us)", s.wall() / 1e3 / count,
        s.cpu() / 1e3 / count);
  }

  static String span(Stopwatch.Span s) {
    return String.format(Locale.ROOT, "%.2f s (%.2f s)", s.wall() / 1e9, s.cpu() / 1e9);
  }

  static String perRev(long bytes, long revisions) {
    return String.format(Locale.ROOT, "%.1f", bytes / (double) revisions);
  }

  /** A percentage with three significant digits: a stored text can be a few thousandths of a percent. */
  static String pct(long part, long whole) {
    return new java.math.BigDecimal(100.0 * part / whole).round(new java.math.MathContext(3)).toPlainString() + "%";
  }

  private static double median(double[] sorted) {
    return pct(sorted, 0.5);
  }

  private static double pct(double[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * (sorted.length - 1) + 0.5))];
  }

  private void check(String what, boolean ok) {
    if (!ok) {
      failed = true;
      System.out.println("FAILED: " + what);
    }
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  record Options(Path trace, int keystrokes, int single, int batch, int atSamples, int opens, int tasks, long seed,
      Path dir) {
    static Options parse(String[] args) throws java.io.IOException {
      Path trace = Path.of("..", "shared", "traces", "automerge-paper.json.gz");
      int keystrokes = 0;
      int single = 1000;
      int batch = 2000;
      int at = 30;
      int opens = 5;
      int tasks = 500;
      long seed = 1;
      Path dir = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("-h") || a.equals("--help")) {
          return null;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
        }
        String v = args[++i];
        switch (a) {
          case "--trace" -> trace = Path.of(v);
          case "--keystrokes" -> keystrokes = positive(a, v);
          case "--single" -> single = Integer.parseInt(v);
          case "--batch" -> batch = positive(a, v);
          case "--at" -> at = positive(a, v);
          case "--opens" -> opens = positive(a, v);
          case "--tasks" -> tasks = positive(a, v);
          case "--seed" -> seed = Long.parseLong(v);
          case "--dir" -> dir = Path.of(v);
          default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
        }
      }
      if (!Files.isRegularFile(trace)) {
        throw new IllegalArgumentException("no trace at " + trace + " (--trace FILE)");
      }
      Path d = dir == null ? Files.createTempDirectory("cfost-docbench") : dir;
      return new Options(trace, keystrokes, Math.max(0, single), batch, at, opens, tasks, seed, d);
    }

    private static int positive(String option, String v) {
      int n = Integer.parseInt(v);
      if (n < 1) {
        throw new IllegalArgumentException(option + " must be at least 1, not " + v);
      }
      return n;
    }
  }
}
