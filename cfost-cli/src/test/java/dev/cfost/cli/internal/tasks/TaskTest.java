package dev.cfost.cli.internal.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TaskTest {
  /**
   * The screen's filter ignores case, as 'cfost tasks done ID' does: another app on the table may write
   * upper-case ids and tags, which the filter's lower-cased text never matched.
   */
  @Test
  void theFilterFindsAnIdStartOrATagWrittenInUpperCaseInEitherCase() {
    Task t = new Task("ABCDEF0123", "From the other app", false, Task.Priority.MEDIUM, List.of("Home"), "", "");
    assertThat(t.matches("abcdef")).as("the id's start, lower case").isTrue();
    assertThat(t.matches("ABCDEF")).as("the id's start as stored").isTrue();
    assertThat(t.matches("#home")).as("the tag, lower case").isTrue();
    assertThat(t.matches("HOM")).as("the tag's start, upper case").isTrue();
    assertThat(t.matches("bcdef")).as("not the id's start").isFalse();
  }
}
