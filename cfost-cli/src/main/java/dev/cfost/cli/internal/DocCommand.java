package dev.cfost.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Document;
import dev.cfost.DocumentQuery;
import dev.cfost.Documents;
import dev.cfost.Revision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost doc ...}: JSON documents with their full history (the library's {@link Documents}), acting
 * as this database's user. Every change is a revision that syncs like any row (docs/DOCUMENTS.md).
 */
@Command(name = "doc", mixinStandardHelpOptions = true,
    footer = {"  cfost doc create 'Groceries' '{\"items\":[\"milk\"]}'",
        "  cfost doc update ID '[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"eggs\"}]'"},
    description = {"JSON documents with a full history: create, patch, undo, redo and time travel.",
        "JSON arguments may be '-' to read them from stdin. Documents sync with the database."})
final class DocCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Command(name = "create", mixinStandardHelpOptions = true,
      footer = {"  cfost doc create --id shopping 'Groceries' '{\"items\":[]}'"},
      description = "Create a document; prints its id (with --json, the document).")
  int create(@Option(names = "--id", description = "Its id (1 to 128 letters, digits, '.', '_', '-'); default: a new UUID.") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json,
      @Parameters(index = "0", paramLabel = "TITLE") String title,
      @Parameters(index = "1", paramLabel = "JSON|-", description = "The content.") String content) {
    JsonNode body = parse(content, "the content");
    return act(json, d -> id == null ? d.create(title, body) : d.create(id, title, body), "created");
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      footer = {"  cfost doc get shopping --json"},
      description = "Print a document's content (with --json, the document with its version and authors).")
  int get(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    Document doc = read(d -> d.get(id).orElseThrow(() -> new CliException("no document '" + id + "' (or it is deleted:"
        + " 'cfost doc list --deleted' shows it)")));
    out().println(json ? toJson(doc).toPrettyString() : doc.content().toPrettyString());
    return 0;
  }

  @Command(name = "update", mixinStandardHelpOptions = true,
      footer = {"  cfost doc update shopping '[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"tea\"}]'",
          "  cfost doc update shopping --replace '{\"items\":[\"tea\"]}'"},
      description = "Apply an RFC 6902 JSON Patch, all of it or nothing; or with --replace, a whole new content.")
  int update(@Parameters(index = "0", paramLabel = "ID") String id,
      @Parameters(index = "1", paramLabel = "PATCH|JSON|-", description = "The patch (a JSON array), or the new content with --replace.") String text,
      @Option(names = "--replace", description = "The argument is the whole new content; the patch is computed.") boolean replace,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    JsonNode body = parse(text, replace ? "the new content" : "the patch");
    return act(json, d -> replace ? d.replace(id, body) : d.update(id, body), "updated");
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, footer = {"  cfost doc delete shopping"},
      description = "Delete a document; its history stays, and 'restore' brings it back.")
  int delete(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    return act(json, d -> d.delete(id), "deleted");
  }

  @Command(name = "restore", mixinStandardHelpOptions = true, footer = {"  cfost doc restore shopping"},
      description = "Restore a deleted document as it was when deleted.")
  int restore(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    return act(json, d -> d.restore(id), "restored");
  }

  @Command(name = "undo", mixinStandardHelpOptions = true, footer = {"  cfost doc undo shopping"},
      description = {"Revert your own last change to a document, as a new revision that syncs.",
          "Refused ('cannot undo') if someone else's later edit changed what it would revert."})
  int undo(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    return act(json, d -> d.undo(id), "undone: now");
  }

  @Command(name = "redo", mixinStandardHelpOptions = true, footer = {"  cfost doc redo shopping"},
      description = "Re-apply what your last undo reverted, as a new revision.")
  int redo(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    return act(json, d -> d.redo(id), "redone: now");
  }

  @Command(name = "at", mixinStandardHelpOptions = true, footer = {"  cfost doc at shopping 3"},
      description = "Print a document as it was at a version (time travel; see 'history' for the versions).")
  int at(@Parameters(index = "0", paramLabel = "ID") String id,
      @Parameters(index = "1", paramLabel = "VERSION") long version,
      @Option(names = "--json", description = "Print the document as JSON.") boolean json) {
    Document doc = read(d -> d.at(id, version));
    out().println(json ? toJson(doc).toPrettyString() : doc.content().toPrettyString());
    return 0;
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      footer = {"  cfost doc list --where /status='\"open\"' --json"},
      description = "List documents, ordered by id.")
  int list(@Option(names = "--title", paramLabel = "TEXT", description = "Only titles containing TEXT.") String title,
      @Option(names = "--since", paramLabel = "TIME", description = "Only those updated at or after TIME (ISO-8601, e.g. 2026-12-03T10:00:00Z).") String since,
      @Option(names = "--where", paramLabel = "POINTER=JSON", description = "Only those whose value at the JSON pointer equals JSON.") String where,
      @Option(names = "--deleted", description = "Include deleted documents.") boolean deleted,
      @Option(names = "--limit", defaultValue = "1000", description = "At most this many (default ${DEFAULT-VALUE}).") int limit,
      @Option(names = "--json", description = "Print a JSON array of documents.") boolean json) {
    DocumentQuery q = DocumentQuery.ALL.includeDeleted(deleted).limit(limit);
    if (title != null) {
      q = q.titleContains(title);
    }
    if (since != null) {
      q = q.updatedSince(instant(since));
    }
    if (where != null) {
      int eq = where.indexOf('=');
      if (eq <= 0) {
        throw new CliException("--where '" + where + "': expected POINTER=JSON, e.g. /status='\"open\"'");
      }
      q = q.where(where.substring(0, eq), parse(where.substring(eq + 1), "the value of --where"));
    }
    DocumentQuery query = q;
    List<Document> docs = read(d -> d.list(query));
    if (json) {
      ArrayNode a = JSON.createArrayNode();
      docs.forEach(doc -> a.add(toJson(doc)));
      out().println(a.toPrettyString());
    } else if (docs.isEmpty()) {
      out().println("no documents");
    } else {
      List<List<String>> rows = new ArrayList<>();
      // Titles and users come from other devices: no escape sequence of theirs reaches the terminal.
      docs.forEach(doc -> rows.add(List.of(doc.id(), Printable.of(doc.title()), Long.toString(doc.version()),
          doc.updated().toString(), Printable.of(doc.updatedBy()), doc.deleted() ? "deleted" : "")));
      out().print(TextTable.render(List.of("id", "title", "version", "updated", "by", ""), rows));
    }
    return 0;
  }

  @Command(name = "history", mixinStandardHelpOptions = true, footer = {"  cfost doc history shopping --json"},
      description = "Every revision of a document, oldest first: what, who, when, and no-ops with their reason.")
  int history(@Parameters(paramLabel = "ID") String id,
      @Option(names = "--json", description = "Print a JSON array of revisions with their forward and reverse patches.") boolean json) {
    printRevisions(read(d -> d.history(id)), json);
    return 0;
  }

  @Command(name = "audit", mixinStandardHelpOptions = true, footer = {"  cfost doc audit --since 2026-12-01T00:00:00Z"},
      description = "Who changed what and when, across all documents.")
  int audit(@Option(names = "--since", paramLabel = "TIME", defaultValue = "1970-01-01T00:00:00Z",
          description = "Revisions at or after TIME (ISO-8601; default: all).") String since,
      @Option(names = "--json", description = "Print a JSON array of revisions.") boolean json) {
    Instant from = instant(since);
    printRevisions(read(d -> d.audit(from)), json);
    return 0;
  }

  private void printRevisions(List<Revision> revisions, boolean json) {
    if (json) {
      ArrayNode a = JSON.createArrayNode();
      revisions.forEach(r -> a.add(toJson(r)));
      out().println(a.toPrettyString());
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (Revision r : revisions) {
      String what = r.applied() ? String.join(" ", r.paths().stream().map(p -> p.isEmpty() ? "/" : p).toList())
          : "no-op: " + r.reason();
      rows.add(List.of(r.documentId(), Long.toString(r.version()), r.kind().name().toLowerCase(java.util.Locale.ROOT),
          Printable.of(r.user()), r.time().toString(), Printable.of(what)));
    }
    out().print(TextTable.render(List.of("document", "version", "kind", "user", "time", "what"), rows));
  }

  /** Runs a change and prints its outcome: the document as JSON, or one line. */
  private int act(boolean json, Function<Documents, Document> change, String verb) {
    Document doc = read(change);
    out().println(json ? toJson(doc).toPrettyString() : verb + " " + doc.id() + " (version " + doc.version() + ")");
    return 0;
  }

  private <T> T read(Function<Documents, T> call) {
    try (Cfost db = cfost.open(false)) {
      // Undo is per user: the database's user, or "local" for a database without users.
      String user = CurrentUser.of(db).map(CurrentUser.Account::id).orElse("local");
      return call.apply(db.documents(user));
    }
  }

  private JsonNode parse(String text, String what) {
    String source = text;
    if ("-".equals(text)) {
      try {
        source = new String(cfost.stdin().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliException("cannot read " + what + " from stdin: " + e.getMessage(), e);
      }
    }
    try {
      return JSON.readTree(source);
    } catch (JsonProcessingException e) {
      throw new CliException(what + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new CliException("'" + text + "' is not an ISO-8601 time such as 2026-12-03T10:00:00Z");
    }
  }

  private static ObjectNode toJson(Document d) {
    ObjectNode o = JSON.createObjectNode().put("id", d.id()).put("title", d.title()).put("version", d.version())
        .put("deleted", d.deleted()).put("created_by", d.createdBy()).put("updated_by", d.updatedBy())
        .put("updated", d.updated().toString());
    o.set("content", d.content());
    return o;
  }

  private static ObjectNode toJson(Revision r) {
    ObjectNode o = JSON.createObjectNode().put("document_id", r.documentId()).put("version", r.version())
        .put("id", r.id()).put("kind", r.kind().name().toLowerCase(java.util.Locale.ROOT)).put("user", r.user())
        .put("device", r.device()).put("time", r.time().toString())
        .put("hlc", Long.toString(r.hlc())) // a string: above 2^53, JavaScript and jq would round a number
        .put("applied", r.applied());
    o.set("patch", r.patch());
    o.set("reverse", r.reverse());
    o.put("reason", r.reason()).put("target", r.target());
    o.set("paths", JSON.valueToTree(r.paths()));
    return o;
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
