package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DbPathTest {

  @Test
  void theOptionWinsOverTheEnvironment() {
    assertThat(DbPath.resolve("/data/a.db", "/data/b.db", "/home/u")).isEqualTo(Path.of("/data/a.db"));
  }

  @Test
  void theEnvironmentVariableIsUsedWithoutTheOption() {
    assertThat(DbPath.resolve(null, "/data/b.db", "/home/u")).isEqualTo(Path.of("/data/b.db"));
  }

  @Test
  void withNeitherTheDatabaseLivesInTheHomeFolder() {
    assertThat(DbPath.resolve(null, null, "/home/u")).isEqualTo(Path.of("/home/u/.cfost/cfost.db"));
    assertThat(DbPath.resolve(null, "", "/home/u")).isEqualTo(Path.of("/home/u/.cfost/cfost.db"));
  }

  @Test
  void aLeadingTildeThatTheShellDidNotExpandMeansTheHomeFolder() {
    assertThat(DbPath.resolve("~/x/a.db", null, "/home/u")).isEqualTo(Path.of("/home/u/x/a.db"));
    assertThat(DbPath.resolve(null, "~/b.db", "/home/u")).isEqualTo(Path.of("/home/u/b.db"));
  }

  @Test
  void aRelativePathBecomesAbsolute() {
    assertThat(DbPath.resolve("rel/a.db", null, "/home/u")).isEqualTo(Path.of("rel/a.db").toAbsolutePath());
  }
}
