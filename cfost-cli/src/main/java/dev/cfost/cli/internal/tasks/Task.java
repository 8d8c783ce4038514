package dev.cfost.cli.internal.tasks;

import java.util.List;
import java.util.Locale;

/**
 * One row of the replicated {@code tasks} table.
 *
 * @param id a UUID; commands accept any unique prefix of it ({@link #shortId()} shows eight characters)
 * @param tags lower-case words without spaces or commas, stored comma-separated in one cell
 * @param created when it was added (ISO-8601, UTC)
 * @param updated when it was last changed on any device (ISO-8601, UTC)
 */
public record Task(String id, String title, boolean done, Priority priority, List<String> tags, String created,
    String updated) {
  public Task {
    tags = List.copyOf(tags);
  }

  /** The first eight characters of the id: unique enough to type, like a short git hash. */
  public String shortId() {
    return id.length() <= 8 ? id : id.substring(0, 8);
  }

  public Task withTitle(String newTitle) {
    return new Task(id, newTitle, done, priority, tags, created, updated);
  }

  public Task withDone(boolean isDone) {
    return new Task(id, title, isDone, priority, tags, created, updated);
  }

  public Task withPriority(Priority newPriority) {
    return new Task(id, title, done, newPriority, tags, created, updated);
  }

  public Task withTags(List<String> newTags) {
    return new Task(id, title, done, priority, newTags, created, updated);
  }

  /** Whether the title, a tag or the id contains {@code text}, ignoring case; empty matches all. */
  public boolean matches(String text) {
    String t = text.toLowerCase(Locale.ROOT).strip();
    String tagText = t.startsWith("#") ? t.substring(1) : t;
    // Ids and tags in either case: another app on the table may write them in upper case.
    return t.isEmpty() || title.toLowerCase(Locale.ROOT).contains(t) || id.regionMatches(true, 0, t, 0, t.length())
        || tags.stream().anyMatch(tag -> tag.toLowerCase(Locale.ROOT).contains(tagText));
  }

  /** How urgent a task is; stored by its lower-case name. */
  public enum Priority {
    LOW,
    MEDIUM,
    HIGH;

    /** The stored and typed name: {@code low}, {@code medium}, {@code high}. */
    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The next one up, wrapping from high to low: the {@code p} key cycles through them. */
    public Priority next() {
      return values()[(ordinal() + 1) % values().length];
    }

    /**
     * @param text a name or its first letter, any case
     * @throws IllegalArgumentException naming the text and the accepted values
     */
    public static Priority parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      for (Priority p : values()) {
        if (!t.isEmpty() && p.word().startsWith(t)) {
          return p;
        }
      }
      throw new IllegalArgumentException("priority '" + text + "': expected low, medium or high");
    }
  }
}
