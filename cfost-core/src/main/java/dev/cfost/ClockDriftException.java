package dev.cfost;

/**
 * A remote hybrid logical clock value was further ahead of the local wall clock than the configured
 * maximum drift, so it was refused and not adopted (adopting it would drag every later local edit into
 * the future). The batch that carried it is not applied.
 */
public final class ClockDriftException extends CfostException {
  private static final long serialVersionUID = 1L;
  private final long remoteMillis;
  private final long localMillis;

  public ClockDriftException(long remoteMillis, long localMillis, long maxDriftMillis) {
    super("remote clock is " + (remoteMillis - localMillis) + " ms ahead of the local clock ("
        + "remote " + remoteMillis + " ms, local " + localMillis + " ms); the maximum drift is "
        + maxDriftMillis + " ms");
    this.remoteMillis = remoteMillis;
    this.localMillis = localMillis;
  }

  public long remoteMillis() {
    return remoteMillis;
  }

  public long localMillis() {
    return localMillis;
  }
}
