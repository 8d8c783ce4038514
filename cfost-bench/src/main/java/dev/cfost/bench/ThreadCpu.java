package dev.cfost.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads by name: Java threads from the {@link ThreadMXBean}, the JVM's own
 * (JIT compiler, GC, VM thread) from Linux's {@code /proc/self/task/<tid>/stat} in clock ticks of 10 ms,
 * absent where there is no {@code /proc}. Digits and addresses are dropped from the names, so that the
 * threads of one kind add up ({@code cfost-session--reader}).
 */
final class ThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private ThreadCpu() {}

  /** CPU nanoseconds by thread group; threads that ended are not counted. */
  static Map<String, Long> snapshot() {
    Map<String, Long> out = new HashMap<>();
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t != null) {
        long cpu = THREADS.getThreadCpuTime(t.getThreadId());
        if (cpu > 0) {
          out.merge(group(t.getThreadName()), cpu, Long::sum);
        }
      }
    }
    Path tasks = Paths.get("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (Stream<Path> list = Files.list(tasks)) {
      for (Path task : list.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String g = group(name);
          if (g.equals("GC threads") || g.equals("JIT compiler threads") || g.equals("VM Thread")) {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            out.merge(g, ticks * 10_000_000L, Long::sum);
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  private static String group(String name) {
    String g = name.replaceAll("[0-9.:]+", "");
    if (g.startsWith("GC Thread") || g.startsWith("G Conc") || g.startsWith("G Refine") || g.startsWith("G Main")
        || g.startsWith("G Service")) {
      return "GC threads";
    }
    return g.startsWith("C CompilerThre") ? "JIT compiler threads" : g;
  }

  /**
   * This process's CPU time, its threads' and its I/O counters ({@code /proc/self/io}: bytes and calls of
   * read and write system calls, sockets included, and {@code write_bytes}, the bytes sent to storage).
   */
  record Usage(long processNanos, Map<String, Long> threads, Map<String, Long> io) {
    private static final String IO = "io:";

    static Usage now() {
      return new Usage(SyncBench.processCpuNanos(), snapshot(), readIo());
    }

    private static Map<String, Long> readIo() {
      Map<String, Long> out = new HashMap<>();
      try {
        for (String line : Files.readAllLines(Paths.get("/proc/self/io"))) {
          int colon = line.indexOf(':');
          out.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1).trim()));
        }
      } catch (IOException | RuntimeException e) {
        // no /proc: no I/O figures
      }
      return out;
    }

    /** One line: the process's nanoseconds, then tab-separated {@code name=value}. */
    String encode() {
      StringBuilder b = new StringBuilder().append(processNanos);
      threads.forEach((k, v) -> b.append('\t').append(k).append('=').append(v));
      io.forEach((k, v) -> b.append('\t').append(IO).append(k).append('=').append(v));
      return b.toString();
    }

    static Usage decode(String line) {
      String[] parts = line.split("\t");
      Map<String, Long> threads = new HashMap<>();
      Map<String, Long> io = new HashMap<>();
      for (int i = 1; i < parts.length; i++) {
        int eq = parts[i].lastIndexOf('=');
        String key = parts[i].substring(0, eq);
        long value = Long.parseLong(parts[i].substring(eq + 1));
        if (key.startsWith(IO)) {
          io.put(key.substring(IO.length()), value);
        } else {
          threads.put(key, value);
        }
      }
      return new Usage(Long.parseLong(parts[0]), threads, io);
    }

    /** The process's CPU nanoseconds since {@code before}. */
    long since(Usage before) {
      return processNanos - before.processNanos;
    }

    /** The CPU nanoseconds of one thread group since {@code before}. */
    long threadSince(Usage before, String group) {
      return threads.getOrDefault(group, 0L) - before.threads.getOrDefault(group, 0L);
    }

    /** Where the CPU time since {@code before} went, by thread group. */
    String breakdownSince(Usage before) {
      return delta(before.threads, threads);
    }

    /** The I/O since {@code before}: MiB and calls of read and write, MiB to storage. */
    String ioSince(Usage before) {
      if (io.isEmpty()) {
        return "n/a";
      }
      return String.format(Locale.ROOT, "read %.0f MiB in %,d calls, written %.0f MiB in %,d calls (%.0f MiB to"
          + " storage)", mib(before, "rchar"), diff(before, "syscr"), mib(before, "wchar"), diff(before, "syscw"),
          mib(before, "write_bytes"));
    }

    private long diff(Usage before, String key) {
      return io.getOrDefault(key, 0L) - before.io.getOrDefault(key, 0L);
    }

    private double mib(Usage before, String key) {
      return diff(before, key) / 1048576.0;
    }
  }

  /** "name 1.23 s, ..." for the groups that used at least 2% of the total between the snapshots. */
  static String delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new HashMap<>();
    after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
    long total = d.values().stream().mapToLong(Long::longValue).sum();
    List<Map.Entry<String, Long>> top = d.entrySet().stream()
        .filter(e -> e.getValue() > 0 && e.getValue() * 50 >= total)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList();
    return top.stream().map(e -> String.format(Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue() / 1e9))
        .collect(Collectors.joining(", "));
  }
}
