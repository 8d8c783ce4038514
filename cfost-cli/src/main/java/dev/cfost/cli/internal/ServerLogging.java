package dev.cfost.cli.internal;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.cfost.server.ServerConfig;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * The log lines of {@code cfost server} (docs/SERVER.md, "Logs"): logback.xml's stderr line with a UTC
 * timestamp in front ({@code text}), or one JSON object per line ({@code json}). Applied once, before the
 * server starts, by replacing the encoder of logback.xml's {@code STDERR} appender.
 */
final class ServerLogging {
  private static final String TIME = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} ";

  private ServerLogging() {}

  static void apply(ServerConfig.LogFormat format) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding on the class path (an embedding): its configuration decides
    }
    Appender<ILoggingEvent> appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    if (!(appender instanceof OutputStreamAppender<ILoggingEvent> stderr)) {
      return; // a logback configuration of the user's own (-Dlogback.configurationFile)
    }
    Encoder<ILoggingEvent> encoder;
    if (format == ServerConfig.LogFormat.JSON) {
      FlatJsonEncoder json = new FlatJsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMarkers(false);
      json.setWithMDC(false);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true); // the text line too: other libraries log messages without fields
      encoder = json;
    } else if (stderr.getEncoder() instanceof PatternLayoutEncoder old && !old.getPattern().startsWith(TIME)) {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern(TIME + old.getPattern());
      encoder = text;
    } else {
      return;
    }
    encoder.setContext(context);
    encoder.start();
    stderr.stop();
    stderr.setEncoder(encoder);
    stderr.start();
  }

  /**
   * Logback's JSON line with the event's key-value pairs as top-level fields
   * ({@code "event":"login_refused","addr":"192.0.2.7"}) rather than a list of one-field objects, so
   * that {@code jq 'select(.event == "login_refused")'} reads them.
   */
  static final class FlatJsonEncoder extends JsonEncoder {
    @Override
    protected void appendKeyValuePairs(StringBuilder sb, ILoggingEvent event) {
      if (event.getKeyValuePairs() == null) {
        return;
      }
      JsonStringEncoder quote = JsonStringEncoder.getInstance();
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        sb.append(",\"").append(quote.quoteAsString(kv.key)).append("\":\"")
            .append(quote.quoteAsString(String.valueOf(kv.value))).append('"');
      }
    }
  }
}
