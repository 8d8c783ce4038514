package dev.cfost;

/**
 * A source of wall-clock time in milliseconds since the epoch.
 *
 * <p>The engine reads time only through this interface, so tests can drive the hybrid logical clock
 * (a clock that steps back, stands still or jumps ahead). Implementations must be thread-safe.
 */
@FunctionalInterface
public interface WallClock {
  /** Milliseconds since 1970-01-01T00:00:00Z; may step backwards, the hybrid clock copes. */
  long millis();

  /** The system clock, {@link System#currentTimeMillis()}. */
  static WallClock system() {
    return System::currentTimeMillis;
  }
}
