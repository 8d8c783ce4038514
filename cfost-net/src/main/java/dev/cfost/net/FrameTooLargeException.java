package dev.cfost.net;

import java.io.IOException;

/** A received frame was larger than the maximum frame size; the connection cannot continue. */
public final class FrameTooLargeException extends IOException {
  private static final long serialVersionUID = 1L;

  public FrameTooLargeException(long size, long max) {
    super("frame of " + size + " bytes exceeds the maximum of " + max + " bytes");
  }
}
