package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** A file that is not an SQLite database: a clear error, and no connection left open on it. */
class NotADatabaseTest {
  @TempDir Path dir;

  @Test
  @EnabledOnOs(OS.LINUX) // counts the process's open files through /proc
  void openingAFileThatIsNotADatabaseFailsNamingItAndLeavesNoFileOpen() throws Exception {
    Path file = dir.resolve("notes.db");
    Files.writeString(file, "these are my notes, not an SQLite database; ".repeat(200));
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> Cfost.open(file)).isInstanceOf(CfostException.class)
          .hasMessageContaining(file.getFileName().toString()).hasMessageContaining("not a database");
    }
    assertThat(openHandlesTo(file)).as("file descriptors still open on " + file).isZero();
  }

  private static long openHandlesTo(Path file) throws IOException {
    Path real = file.toRealPath();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).equals(real);
        } catch (IOException | UnsupportedOperationException e) {
          return false; // closed meanwhile
        }
      }).count();
    }
  }
}
