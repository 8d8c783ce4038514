package dev.cfost;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A JSON document as of one version.
 *
 * @param id the document's id
 * @param title its title, set when it was created
 * @param version how many revisions it has (no-ops included); version 1 is its creation
 * @param deleted true once deleted and until restored
 * @param content its JSON, a tree the caller owns
 * @param createdBy the user who created it
 * @param updatedBy the user of its last applied revision
 * @param updatedHlc the hybrid-clock time of its last applied revision
 */
public record Document(String id, String title, long version, boolean deleted, JsonNode content,
    String createdBy, String updatedBy, long updatedHlc) {

  /** When the last applied revision was made, from its hybrid-clock time. */
  public Instant updated() {
    return Instant.ofEpochMilli(updatedHlc >>> 16);
  }
}
