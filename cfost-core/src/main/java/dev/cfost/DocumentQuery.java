package dev.cfost;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * Which documents {@link Documents#list} returns; every condition set must hold.
 *
 * @param titleContains a text the title contains (case-insensitive), or null
 * @param updatedSince documents whose last applied revision is at or after this time, or null
 * @param pointer an RFC 6901 JSON pointer, or null
 * @param equalTo the JSON value at {@code pointer} (numbers compare by value), when a pointer is set
 * @param includeDeleted whether deleted documents are listed too
 * @param limit at most this many, by id
 */
public record DocumentQuery(String titleContains, Instant updatedSince, String pointer, JsonNode equalTo,
    boolean includeDeleted, int limit) {

  /** Every document that is not deleted, up to 1,000. */
  public static final DocumentQuery ALL = new DocumentQuery(null, null, null, null, false, 1000);

  public DocumentQuery {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    if ((pointer == null) != (equalTo == null)) {
      throw new IllegalArgumentException("a pointer filter needs both a pointer and a value");
    }
  }

  public DocumentQuery titleContains(String text) {
    return new DocumentQuery(text, updatedSince, pointer, equalTo, includeDeleted, limit);
  }

  public DocumentQuery updatedSince(Instant time) {
    return new DocumentQuery(titleContains, time, pointer, equalTo, includeDeleted, limit);
  }

  public DocumentQuery where(String jsonPointer, JsonNode value) {
    return new DocumentQuery(titleContains, updatedSince, jsonPointer, value, includeDeleted, limit);
  }

  public DocumentQuery includeDeleted(boolean yes) {
    return new DocumentQuery(titleContains, updatedSince, pointer, equalTo, yes, limit);
  }

  public DocumentQuery limit(int n) {
    return new DocumentQuery(titleContains, updatedSince, pointer, equalTo, includeDeleted, n);
  }
}
