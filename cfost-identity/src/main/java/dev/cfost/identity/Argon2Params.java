package dev.cfost.identity;

/**
 * The cost of an Argon2id password hash: memory in KiB, iterations (passes over memory) and parallelism
 * (lanes). Every hash also uses a 16-byte random salt and a 32-byte tag.
 *
 * <p>The parameters are written into each stored hash (a PHC string), so they can be raised later:
 * existing hashes keep verifying with the parameters they were made with, and are re-hashed with the
 * current ones at the user's next successful login.
 *
 * <p>The bounds hold for every hash, also one that arrived from another replica (the user table replicates):
 * a hash demanding more would let a peer make every login allocate gigabytes or run for minutes.
 *
 * @param memoryKiB memory cost in KiB, at least {@code 8 * parallelism}, at most 256 MiB
 * @param iterations number of passes, 1 to 10
 * @param parallelism number of lanes, 1 to 8
 */
public record Argon2Params(int memoryKiB, int iterations, int parallelism) {
  /** 64 MiB, 3 iterations, 4 lanes: the defaults of RFC 9106's second recommended option, about 0.3 s here. */
  public static final Argon2Params DEFAULT = new Argon2Params(65536, 3, 4);

  /** The largest memory cost accepted, also from a stored hash: 256 MiB. */
  public static final int MAX_MEMORY_KIB = 256 * 1024;
  /** The most iterations accepted, also from a stored hash. */
  public static final int MAX_ITERATIONS = 10;
  /** The most lanes accepted, also from a stored hash. */
  public static final int MAX_PARALLELISM = 8;

  public Argon2Params {
    if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
      throw new IllegalArgumentException("Argon2 parallelism must be 1 to " + MAX_PARALLELISM + ", was " + parallelism);
    }
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("Argon2 iterations must be 1 to " + MAX_ITERATIONS + ", was " + iterations);
    }
    if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
      throw new IllegalArgumentException("Argon2 memory must be 8 * parallelism (" + 8 * parallelism
          + ") to " + MAX_MEMORY_KIB + " KiB, was " + memoryKiB);
    }
  }
}
