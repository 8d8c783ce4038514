package dev.cfost.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Measures elapsed wall time and the calling thread's CPU time together. SQLite runs inside the calling
 * thread (JNI), so the CPU time covers the engine's and SQLite's work but not the time spent waiting for
 * a core, which makes it the steadier figure on a shared, loaded machine.
 */
final class Stopwatch {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Wall and CPU nanoseconds. */
  record Span(long wall, long cpu) {
    Span minus(Span o) {
      return new Span(wall - o.wall, cpu - o.cpu);
    }

    Span plus(Span o) {
      return new Span(wall + o.wall, cpu + o.cpu);
    }
  }

  static final Span ZERO = new Span(0, 0);

  private final long wall0;
  private final long cpu0;

  private Stopwatch() {
    wall0 = System.nanoTime();
    cpu0 = THREADS.getCurrentThreadCpuTime();
  }

  static Stopwatch start() {
    return new Stopwatch();
  }

  Span stop() {
    return new Span(System.nanoTime() - wall0, THREADS.getCurrentThreadCpuTime() - cpu0);
  }
}
