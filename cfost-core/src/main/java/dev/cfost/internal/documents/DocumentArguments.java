package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import java.util.regex.Pattern;

/**
 * The checks of what a caller gives the documents API, the same for every store (the library's SQLite
 * documents and the server's PostgreSQL ones): each refusal is INVALID and names what was wrong.
 */
public final class DocumentArguments {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final int MAX_TITLE = 1000;

  private DocumentArguments() {}

  /** A document id: 1 to 128 letters, digits and {@code . _ -}. */
  public static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new DocumentException(Reason.INVALID, "a document id is 1 to 128 letters, digits and . _ -: '" + id + "'");
    }
  }

  /** What a create needs: an id, a title of at most 1,000 characters, and content with finite numbers. */
  public static void checkCreate(String id, String title, JsonNode content) {
    checkId(id);
    if (title == null || title.length() > MAX_TITLE) {
      throw new DocumentException(Reason.INVALID, "a title is a text of at most " + MAX_TITLE + " characters");
    }
    if (content == null || content.isMissingNode()) {
      throw new DocumentException(Reason.INVALID, "document " + id + " has no content");
    }
    checkFinite(content, "the content of document " + id);
  }

  /** JSON has no infinite or NaN number (a double such as 1e400 reads as one): refused by name. */
  public static void checkFinite(JsonNode node, String what) {
    String at = Json.nonFinite(node);
    if (at != null) {
      throw new DocumentException(Reason.INVALID, what + " has a number out of range at '" + at + "'");
    }
  }

  /** A page of history: from version 1 or later, at least one revision. */
  public static void checkPage(long fromVersion, int limit) {
    if (fromVersion < 1 || limit < 1) {
      throw new IllegalArgumentException("a page of history starts at version 1 or later and holds at least one"
          + " revision: from " + fromVersion + ", limit " + limit);
    }
  }
}
