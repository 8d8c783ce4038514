package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogEventTest {
  private final Logger log = (Logger) LoggerFactory.getLogger("LogEventTest");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void capture() {
    lines.start();
    log.addAppender(lines);
    log.setLevel(Level.DEBUG);
    log.setAdditive(false);
  }

  @AfterEach
  void release() {
    log.detachAppender(lines);
  }

  @Test
  void aLineIsKeyEqualsValueAndTheSamePairsGoToTheLogger() {
    LogEvent.info(log, "login_refused").with("user_login", "alice").with("addr", "192.0.2.7").with("device", null).log();
    ILoggingEvent e = lines.list.get(0);
    assertThat(e.getFormattedMessage()).isEqualTo("event=login_refused user_login=alice addr=192.0.2.7");
    assertThat(e.getLevel()).isEqualTo(Level.INFO);
    assertThat(e.getKeyValuePairs()).extracting(kv -> kv.key + ":" + kv.value)
        .containsExactly("event:login_refused", "user_login:alice", "addr:192.0.2.7");
  }

  @Test
  void valuesWithSpacesQuotesOrNothingAreQuotedAndControlCharactersCannotStartALine() {
    String line = LogEvent.warn(log, "x").with("a", "two words").with("b", "say \"hi\"").with("c", "")
        .with("d", "one\nevent=forged").with("e", "k=v").toString();
    assertThat(line).isEqualTo("event=x a=\"two words\" b=\"say \\\"hi\\\"\" c=\"\" d=\"one?event=forged\" e=\"k=v\"");
  }

  @Test
  void longValuesAreCut() {
    LogEvent.error(log, "x").with("v", "y".repeat(1000)).log();
    assertThat(lines.list.get(0).getFormattedMessage()).hasSize("event=x v=".length() + LogEvent.MAX_VALUE + 3);
  }

  @Test
  void aDisabledLevelBuildsNothing() {
    log.setLevel(Level.INFO);
    LogEvent.debug(log, "http_request").with("route", "/health").log();
    assertThat(lines.list).isEmpty();
  }
}
