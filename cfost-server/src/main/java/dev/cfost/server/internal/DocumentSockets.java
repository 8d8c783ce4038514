package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.DocumentException;
import dev.cfost.Documents;
import io.javalin.config.JavalinConfig;
import io.javalin.websocket.WsContext;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.jetty.websocket.api.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The document API of seed 002 on WebSocket {@code /ws} (docs/SERVER.md, "Documents over /ws"): JSON
 * messages, one per text frame, on each account's {@link Documents} as a {@link DocumentBackend} keeps
 * them: a Cfost file per account with SQLite, tables shared by every process with PostgreSQL.
 *
 * <p>A connection first sends {@code authenticate} with an access token of {@code POST /v1/auth/login}
 * (or {@code demo-token} with {@code --demo}); every change is answered to its sender and pushed to the
 * account's other open connections. Refusals are {@code error} messages; the connection stays open.
 *
 * <p>Threads: a message is handled on the Jetty thread that read it, which reads nothing more from that
 * connection meanwhile (so at most one message per connection waits); one account's messages run one at
 * a time under its {@link Account} monitor, so its changes apply and are pushed in order. Updates that
 * other processes commit (PostgreSQL) are pushed by the backend's thread, under the same monitor, unless a
 * later version of the document was told here already, so that versions pushed only go up. Bounds: a frame
 * is at most {@link SyncEndpoints#MAX_MESSAGE_BYTES}; a connection whose unsent replies pass
 * {@link SyncEndpoints#MAX_QUEUED_BYTES} is closed; connections are capped as sync sessions are.
 */
final class DocumentSockets implements AutoCloseable {
  private static final String CONNECTION = "cfost.documents";
  /** Documents per account whose last version told is remembered. */
  static final int MAX_TOLD = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(DocumentSockets.class);

  private final DocumentBackend backend;
  private final Function<String, Optional<String>> tokenUser;
  private final ConcurrentHashMap<String, Account> accounts = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final int connectionsPerUser;

  /** One account's open documents and its authenticated connections; guards both, and {@link #told}. */
  static final class Account {
    final DocumentBackend.Opened opened;
    final Documents documents;
    final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /**
     * Per document, the highest version this process's connections were told of (a reply or a push), so
     * that an update of another process that arrives after a later one is not pushed: its content is in
     * the later version. At most {@link #MAX_TOLD} documents; then it starts again (a stale push may follow).
     */
    final Map<String, Long> told = new HashMap<>();

    /** Records that the account's connections know {@code version} of {@code id}; false if they knew a later one. */
    boolean tell(String id, long version) {
      Long known = told.get(id);
      if (known != null && known >= version) {
        return false;
      }
      if (told.size() >= MAX_TOLD) {
        told.clear();
      }
      told.put(id, version);
      return true;
    }

    Account(DocumentBackend.Opened opened) {
      this.opened = opened;
      this.documents = opened.documents();
    }
  }

  /** One /ws connection; {@link #account} is set once it authenticated. */
  final class Connection {
    final WsContext ctx;
    final AtomicLong queued = new AtomicLong();
    final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    volatile String user;
    volatile Account account;

    Connection(WsContext ctx) {
      this.ctx = ctx;
    }

    void send(ObjectNode message) {
      if (!ctx.session.isOpen()) {
        return;
      }
      String text = message.toString();
      long size = text.length();
      long before = queued.getAndAdd(size);
      if (before > 0 && before + size > SyncEndpoints.MAX_QUEUED_BYTES) {
        ctx.closeSession(1008, "slow_reader: the client does not read fast enough");
        return;
      }
      ctx.session.sendText(text, Callback.from(() -> queued.addAndGet(-size), e -> queued.addAndGet(-size)));
    }
  }

  /**
   * @param tokenUser the account an access token stands for (demo mode included), as the bearer check does
   */
  DocumentSockets(DocumentBackend backend, Function<String, Optional<String>> tokenUser, int connectionsPerUser) {
    this.connectionsPerUser = connectionsPerUser;
    this.backend = backend;
    this.tokenUser = tokenUser;
    backend.pushRemoteUpdates(accounts::containsKey, this::pushRemote);
  }

  /** Sends an update of another process to the account's connections here, as its own would be. */
  private void pushRemote(DocumentBackend.Committed update) {
    Account account = accounts.get(update.user());
    if (account == null) {
      return;
    }
    ObjectNode message = DocumentMessages.pushed(update.action(), update.document());
    synchronized (account) {
      if (!account.tell(update.document().id(), update.document().version())) {
        return;
      }
      for (Connection c : account.connections) {
        c.send(message);
      }
    }
  }

  void install(JavalinConfig c) {
    c.events.serverStopped(this::close);
    c.events.serverStartFailed(this::close);
    c.routes.ws("/ws", ws -> {
      ws.onConnect(ctx -> {
        if (connections.incrementAndGet() > SyncService.MAX_SESSIONS) {
          connections.decrementAndGet();
          ctx.closeSession(1013, "busy: this server process holds its most /ws connections");
          return;
        }
        ctx.attribute(CONNECTION, new Connection(ctx));
      });
      ws.onMessage(ctx -> {
        Connection conn = ctx.attribute(CONNECTION);
        if (conn != null) {
          conn.send(handle(conn, ctx.message()));
        }
      });
      ws.onBinaryMessage(ctx -> {
        Connection conn = ctx.attribute(CONNECTION);
        if (conn != null) {
          conn.send(DocumentMessages.error(null, "malformed_message", "messages are JSON in text frames"));
        }
      });
      ws.onClose(ctx -> closed(ctx.attribute(CONNECTION)));
      ws.onError(ctx -> closed(ctx.attribute(CONNECTION)));
    });
  }

  private ObjectNode handle(Connection conn, String text) {
    ObjectNode m;
    try {
      JsonNode node = JsonBody.MAPPER.readTree(text);
      if (node == null || !node.isObject()) {
        return DocumentMessages.error(null, "malformed_message", "a message is a JSON object with a 'type'");
      }
      m = (ObjectNode) node;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return DocumentMessages.error(null, "malformed_message", "the message is not JSON: "
          + WireChecks.printable(e.getOriginalMessage()));
    }
    JsonNode requestId = m.get("request_id");
    try {
      String type = DocumentMessages.text(m, "type");
      if (type.equals("authenticate")) {
        return authenticate(conn, m);
      }
      Account account = conn.account;
      if (account == null) {
        throw new DocumentMessages.Refused("not_authenticated", "send 'authenticate' first; '" + type
            + "' needs an authenticated connection");
      }
      synchronized (account) {
        DocumentMessages.Outcome out = DocumentMessages.apply(account.documents, type, m);
        if (out.push()) {
          JsonNode d = out.reply().path("document");
          account.tell(d.path("id").asText(), d.path("version").asLong());
          for (Connection other : account.connections) {
            if (other != conn) {
              other.send(out.reply());
            }
          }
        }
        return DocumentMessages.withRequestId(out.reply().deepCopy(), requestId);
      }
    } catch (DocumentMessages.Refused e) {
      return DocumentMessages.error(requestId, e.code, e.getMessage());
    } catch (DocumentException e) {
      return DocumentMessages.error(requestId, DocumentMessages.code(e.reason()), e.getMessage());
    } catch (RuntimeException e) {
      LogEvent.error(LOG, "internal_error").with("path", "/ws").with("user", conn.user).cause(e).log();
      return DocumentMessages.error(requestId, "internal_error", "the server failed to handle the message");
    }
  }

  private ObjectNode authenticate(Connection conn, ObjectNode m) {
    if (conn.account != null) {
      throw new DocumentMessages.Refused("already_authenticated", "this connection is authenticated as '"
          + conn.user + "'");
    }
    String userId = DocumentMessages.text(m, "user_id");
    String token = DocumentMessages.text(m, "auth_token");
    Optional<String> user = tokenUser.apply(token);
    if (user.isEmpty()) {
      throw new DocumentMessages.Refused("invalid_token", "the auth_token is unknown, expired or revoked");
    }
    if (!user.get().equals(userId)) {
      throw new DocumentMessages.Refused("wrong_user", "user_id '" + WireChecks.printable(userId)
          + "' is not the account of the auth_token");
    }
    Account[] joined = new Account[1];
    String[] full = new String[1];
    accounts.compute(userId, (k, a) -> {
      Account account = a != null ? a : new Account(backend.open(k));
      synchronized (account) {
        if (account.connections.size() >= connectionsPerUser) {
          full[0] = "this user has " + connectionsPerUser + " /ws connections, the most";
        } else {
          account.connections.add(conn);
          joined[0] = account;
        }
      }
      return account;
    });
    if (joined[0] == null) {
      throw new DocumentMessages.Refused("busy", full[0]);
    }
    conn.user = userId;
    conn.account = joined[0];
    LOG.info("event=connected transport=ws-documents user={}", userId);
    return JsonBody.MAPPER.createObjectNode().put("type", "authenticated").put("user_id", userId);
  }

  private void closed(Connection conn) {
    if (conn == null || !conn.closed.compareAndSet(false, true)) {
      return; // onClose and onError may both come
    }
    connections.decrementAndGet();
    if (conn.user == null) {
      return;
    }
    accounts.computeIfPresent(conn.user, (k, a) -> {
      synchronized (a) {
        a.connections.remove(conn);
        if (a.connections.isEmpty()) {
          closeQuietly(a);
          return null;
        }
        return a;
      }
    });
  }

  private static void closeQuietly(Account a) {
    try {
      a.opened.close();
    } catch (Exception e) {
      LogEvent.warn(LOG, "documents_close_failed").with("error", e.toString()).log();
    }
  }

  /** Closes every account's documents and the backend; the server has stopped its connections first. */
  @Override
  public void close() {
    backend.close();
    for (String user : accounts.keySet()) {
      accounts.computeIfPresent(user, (k, a) -> {
        synchronized (a) {
          closeQuietly(a);
        }
        return null;
      });
    }
  }
}
