package dev.cfost.cli.internal;

import java.nio.file.Path;

/** The files a sync daemon keeps beside its database: {@code <db>.pid} and {@code <db>.log}. */
final class DaemonFiles {
  private DaemonFiles() {}

  static Path pid(Path db) {
    return db.resolveSibling(db.getFileName() + ".pid");
  }

  static Path log(Path db) {
    return db.resolveSibling(db.getFileName() + ".log");
  }
}
