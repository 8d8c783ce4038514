package dev.cfost.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The CPU time of every process of a load benchmark at one moment: each server process (by thread),
 * PostgreSQL (its postmaster and the backends alive at that moment, from {@code /proc}; a backend that
 * ended between two snapshots is missing from the later one) and this process, which holds the
 * lightweight devices.
 */
record Cpu(List<ThreadCpu.Usage> servers, long postgresNanos, ThreadCpu.Usage self) {

  static Cpu now(List<ChildProcess> servers, Path postgresData) throws IOException, InterruptedException {
    List<ThreadCpu.Usage> s = new ArrayList<>();
    for (ChildProcess c : servers) {
      s.add(c.cpu());
    }
    return new Cpu(s, postgresData == null ? 0 : postgresNanos(postgresData), ThreadCpu.Usage.now());
  }

  /** The postmaster (its pid is the first line of postmaster.pid) and its children, summed. */
  private static long postgresNanos(Path data) throws IOException {
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    return ProcessHandle.of(pid).map(p -> Stream.concat(Stream.of(p), p.descendants())
        .mapToLong(h -> h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum()).orElse(0L);
  }

  /** The CPU nanoseconds of all the processes since {@code before}. */
  long allSince(Cpu before) {
    long all = postgresNanos - before.postgresNanos + self.since(before.self);
    for (int i = 0; i < servers.size(); i++) {
      all += servers.get(i).since(before.servers.get(i));
    }
    return all;
  }

  /** The CPU of each process since {@code before}, in all and per {@code unit} of work ({@code units} of them). */
  String describeSince(Cpu before, long units, String unit) {
    StringBuilder b = new StringBuilder("CPU:");
    long all = 0;
    for (int i = 0; i < servers.size(); i++) {
      long n = servers.get(i).since(before.servers.get(i));
      all += n;
      b.append(String.format(Locale.ROOT, " server %d %.2f s (%s);", i, n / 1e9,
          servers.get(i).breakdownSince(before.servers.get(i))));
    }
    long pg = postgresNanos - before.postgresNanos;
    long devices = self.since(before.self);
    all += pg + devices;
    if (pg > 0) {
      b.append(String.format(Locale.ROOT, " PostgreSQL %.2f s;", pg / 1e9));
    }
    b.append(String.format(Locale.ROOT, " the devices' process %.2f s; all %.2f s, %.3f ms per %s", devices / 1e9,
        all / 1e9, all / 1e6 / units, unit));
    return b.toString();
  }
}
