package dev.cfost.cli.internal.tasks;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one-line form a person types in the task screen: {@code Buy milk !high #home #errand}. Words
 * starting {@code !} set the priority, words starting {@code #} add tags, the rest is the title; {@code !!}
 * or {@code ##} at a word's start writes one {@code !} or {@code #} into the title.
 */
public record TaskInput(String title, Task.Priority priority, List<String> tags) {
  /** Titles longer than this are refused: a task is a line on a screen, not a document. */
  public static final int MAX_TITLE = 500;
  public static final int MAX_TAGS = 20;
  private static final Pattern TAG = Pattern.compile("[\\p{L}\\p{N}_.:/-]{1,40}");

  /**
   * @param line what was typed
   * @param defaultPriority the priority when no {@code !word} is given
   * @throws IllegalArgumentException for an unknown priority, a malformed tag or an empty title
   */
  public static TaskInput parse(String line, Task.Priority defaultPriority) {
    List<String> words = new ArrayList<>();
    Task.Priority priority = defaultPriority;
    List<String> tags = new ArrayList<>();
    for (String word : line.strip().split("\\s+")) {
      if (word.startsWith("!!") || word.startsWith("##")) {
        words.add(word.substring(1)); // an escaped mark: the word as it is, less one '!' or '#'
      } else if (word.length() > 1 && word.startsWith("!")) {
        priority = Task.Priority.parse(word.substring(1));
      } else if (word.length() > 1 && word.startsWith("#")) {
        tags.add(word.substring(1));
      } else if (!word.isEmpty()) {
        words.add(word);
      }
    }
    return new TaskInput(checkTitle(String.join(" ", words)), priority, checkTags(tags));
  }

  /** The line that {@link #parse} reads back as this task: what the edit prompt starts with. */
  public static String format(Task t) {
    // A title word that would read as a mark is escaped by doubling its first character.
    StringBuilder sb = new StringBuilder(t.title().replaceAll("(^|\\s)([!#])(?=\\S)", "$1$2$2"));
    sb.append(" !").append(t.priority().word());
    t.tags().forEach(tag -> sb.append(" #").append(tag));
    return sb.toString();
  }

  /** @throws IllegalArgumentException if the title is blank, too long or holds control characters */
  static String checkTitle(String title) {
    String t = title.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("a task needs a title");
    }
    if (t.length() > MAX_TITLE) {
      throw new IllegalArgumentException("a title of " + t.length() + " characters; at most " + MAX_TITLE);
    }
    if (t.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("a title cannot hold control characters (such as a line break)");
    }
    return t;
  }

  /** Lower-cases and de-duplicates, keeping the order given. */
  static List<String> checkTags(List<String> tags) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String tag : tags) {
      String t = tag.strip().toLowerCase(Locale.ROOT);
      if (t.startsWith("#")) {
        t = t.substring(1);
      }
      if (!TAG.matcher(t).matches()) {
        throw new IllegalArgumentException("tag '" + tag + "': 1 to 40 letters, digits or _ . : / -");
      }
      out.add(t);
    }
    if (out.size() > MAX_TAGS) {
      throw new IllegalArgumentException(out.size() + " tags; at most " + MAX_TAGS);
    }
    return List.copyOf(out);
  }
}
