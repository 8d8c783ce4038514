package dev.cfost.cli.internal.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TaskInputTest {
  @Test
  void bangSetsThePriorityHashAddsTagsAndTheRestIsTheTitle() {
    TaskInput in = TaskInput.parse("  Buy #Home oat   milk !h #errand #home ", Task.Priority.MEDIUM);
    assertThat(in.title()).isEqualTo("Buy oat milk");
    assertThat(in.priority()).isEqualTo(Task.Priority.HIGH);
    assertThat(in.tags()).containsExactly("home", "errand");
  }

  @Test
  void withoutABangTheGivenPriorityStays() {
    assertThat(TaskInput.parse("Call mom", Task.Priority.LOW).priority()).isEqualTo(Task.Priority.LOW);
  }

  @Test
  void theEditLineReadsBackAsTheSameTask() {
    Task t = new Task("id", "Renew passport", false, Task.Priority.LOW, List.of("admin", "travel"), "", "");
    TaskInput back = TaskInput.parse(TaskInput.format(t), Task.Priority.HIGH);
    assertThat(back).isEqualTo(new TaskInput("Renew passport", Task.Priority.LOW, List.of("admin", "travel")));
  }

  /** A title added by 'cfost tasks add' or another device may hold words that the form reads as marks. */
  @Test
  void aTitleWithHashOrBangWordsReadsBackUnchangedFromItsEditLine() {
    for (String title : List.of("Fix issue #42", "Reply to !mentions", "##x and !! and # alone")) {
      Task t = new Task("id", title, false, Task.Priority.LOW, List.of("dev"), "", "");
      TaskInput back = TaskInput.parse(TaskInput.format(t), Task.Priority.HIGH);
      assertThat(back).as(title).isEqualTo(new TaskInput(title, Task.Priority.LOW, List.of("dev")));
    }
  }

  @Test
  void wrongInputIsRefusedNamingWhatWasWrong() {
    assertThatThrownBy(() -> TaskInput.parse("x !urgent", Task.Priority.LOW)).hasMessageContaining("priority 'urgent'");
    assertThatThrownBy(() -> TaskInput.parse("!high #tag", Task.Priority.LOW)).hasMessage("a task needs a title");
    assertThatThrownBy(() -> TaskInput.parse("x #a;b", Task.Priority.LOW)).hasMessageContaining("tag 'a;b'");
    assertThatThrownBy(() -> TaskInput.parse("x".repeat(TaskInput.MAX_TITLE + 1), Task.Priority.LOW))
        .hasMessageContaining("at most " + TaskInput.MAX_TITLE);
  }

  @Test
  void aScreenLineStopsAtTheWidthWhateverItsColoursAndShowsControlCharactersAsQuestionMarks() {
    String line = new ScreenLine(10, "").add("[x] ", ScreenLine.GREEN).add("Buy\tmilk today").render();
    assertThat(line.replaceAll("\033\\[[0-9;]*m", "")).isEqualTo("[x] Buy?mi");
  }
}
