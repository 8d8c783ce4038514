package dev.cfost.server.internal;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One structured log line of the server: an event name and key=value fields, written as the message
 * ({@code event=login_refused user_login=alice addr=192.0.2.7}) and also handed to SLF4J as key-value
 * pairs, which a JSON encoder writes as fields (docs/SERVER.md, "Logs").
 *
 * <pre>{@code
 * LogEvent.info(LOG, "login_refused").with("user_login", login).with("addr", address).log();
 * }</pre>
 *
 * <p>Keys are fixed words of the server ({@code event}, {@code user}, {@code user_login}, {@code device},
 * {@code database}, {@code addr}, {@code code}, ...). Values are quoted when they hold a space, a quote,
 * an {@code =} or nothing, and cut at {@value #MAX_VALUE} characters; control characters become
 * {@code ?}, so a client cannot forge a second line. Never pass a password or a token.
 */
public final class LogEvent {
  static final int MAX_VALUE = 200;

  private final Logger log;
  private final Level level;
  private final List<String> keys = new ArrayList<>();
  private final List<String> values = new ArrayList<>();
  private Throwable error;

  private LogEvent(Logger log, Level level, String event) {
    this.log = log;
    this.level = level;
    with("event", event);
  }

  public static LogEvent info(Logger log, String event) {
    return new LogEvent(log, Level.INFO, event);
  }

  public static LogEvent warn(Logger log, String event) {
    return new LogEvent(log, Level.WARN, event);
  }

  public static LogEvent error(Logger log, String event) {
    return new LogEvent(log, Level.ERROR, event);
  }

  public static LogEvent debug(Logger log, String event) {
    return new LogEvent(log, Level.DEBUG, event);
  }

  /** Adds a field; a null value is left out. */
  public LogEvent with(String key, Object value) {
    if (value != null) {
      keys.add(key);
      values.add(clean(String.valueOf(value)));
    }
    return this;
  }

  /** Attaches an exception, written after the line with its stack trace. */
  public LogEvent cause(Throwable t) {
    this.error = t;
    return this;
  }

  public void log() {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    LoggingEventBuilder b = log.atLevel(level);
    for (int i = 0; i < keys.size(); i++) {
      b = b.addKeyValue(keys.get(i), values.get(i));
    }
    if (error != null) {
      b = b.setCause(error);
    }
    b.log(toString());
  }

  /** The line as it is logged in text form (tests). */
  @Override
  public String toString() {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < keys.size(); i++) {
      line.append(i == 0 ? "" : " ").append(keys.get(i)).append('=').append(quoted(values.get(i)));
    }
    return line.toString();
  }

  private static String clean(String v) {
    String cut = v.length() > MAX_VALUE ? v.substring(0, MAX_VALUE) + "..." : v;
    StringBuilder out = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char ch = cut.charAt(i);
      out.append(Character.isISOControl(ch) || ch == '\u2028' || ch == '\u2029' ? '?' : ch);
    }
    return out.toString();
  }

  private static String quoted(String v) {
    boolean plain = !v.isEmpty();
    for (int i = 0; i < v.length() && plain; i++) {
      char ch = v.charAt(i);
      plain = ch != ' ' && ch != '"' && ch != '=' && ch != '\\';
    }
    return plain ? v : '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
