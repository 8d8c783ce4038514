package dev.cfost;

/** A registered listener; {@link #close()} removes it. Closing twice is harmless. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  @Override
  void close();
}
