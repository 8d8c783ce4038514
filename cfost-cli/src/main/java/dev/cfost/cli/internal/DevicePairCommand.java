package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingException;
import dev.cfost.identity.PairingResponse;
import dev.cfost.net.PeerAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost device pair}, on a device already authorized for the user: issues a pairing challenge,
 * shows it as a QR code and a string, and waits (one connection at a time, on the command's thread) for
 * the new device's response over {@link PairingChannel}; approves it and answers with a signed
 * {@link PairingReply}. Before approving, it shows the new device's id and name and asks the owner to
 * confirm (unless {@code --yes}). A response that does not answer the code (anyone on the LAN can send
 * one), or that the owner declines, is refused to its sender and the command keeps waiting until the
 * timeout, which ends it with exit code 1.
 */
@Command(name = "pair", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db device pair --png pairing.png",
    description = {"Pair a new device with the user: show a pairing code (QR code and string) and wait until the"
        + " new device runs 'cfost device join CODE'.",
        "With --no-wait, only issue the code; approve the new device's answer with 'cfost device approve'."})
final class DevicePairCommand implements Callable<Integer> {
  /** Closes pairing connections at their deadline ({@link PairingChannel#RESPONSE_DEADLINE_MS}). */
  private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "cfost-pair-deadline");
    t.setDaemon(true);
    return t;
  });

  /** Where {@code cfost start} listens by default: the sync address given to the new device. */
  static final int SYNC_PORT = 7947;

  @ParentCommand DeviceCommand device;
  @Spec CommandSpec spec;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:" + PairingChannel.DEFAULT_PORT,
      description = "Where to wait for the new device (default: ${DEFAULT-VALUE}; port 0 picks a free one)."
          + " On 0.0.0.0 the code lists this machine's LAN IPv4 addresses and 127.0.0.1.")
  String listen;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
      description = "How long to wait, at most the code's lifetime (default and maximum: ${DEFAULT-VALUE}).")
  int timeout;

  @Option(names = "--png", paramLabel = "FILE", description = "Also save the QR code as a PNG image.")
  Path png;

  @Option(names = "--no-wait", description = "Only issue the code and exit; for pairing without a network.")
  boolean noWait;

  @Option(names = "--sync-address", paramLabel = "HOST:PORT",
      description = "Where the new device reaches this one for sync (default: the address it paired with, port "
          + SYNC_PORT + ").")
  String syncAddress;

  @Option(names = "--yes", description = "Approve the first valid response without asking (for scripts).")
  boolean yes;

  /** Reads the owner's answers; stdin is read by the command's thread only. */
  private java.io.BufferedReader answers;

  @Override
  public Integer call() throws IOException {
    long lifetime = Pairing.CHALLENGE_LIFETIME.toSeconds();
    if (timeout < 1 || timeout > lifetime) {
      throw new ParameterException(spec.commandLine(), "--timeout must be 1 to " + lifetime + " seconds, was " + timeout);
    }
    PeerAddress at = address("--listen", listen);
    if (syncAddress != null) {
      syncAddress = address("--sync-address", syncAddress).toString();
    }
    try (Cfost db = device.cfost.open(false)) {
      CurrentUser.Account user = CurrentUser.require(db);
      DeviceKeys keys = DeviceKeys.forDatabase(db);
      Pairing pairing = Pairing.open(db, keys);
      if (noWait) {
        PairingChallenge challenge = pairing.createChallenge(user.id(), List.of());
        show(challenge, user);
        spec.commandLine().getOut().println("when the new device prints its response, approve it here with"
            + " 'cfost device approve RESPONSE' before " + time(challenge.expiresAt()));
        return 0;
      }
      try (SSLServerSocket server = PairingChannel.listen(db.path(), new InetSocketAddress(at.host(), at.port()))) {
        PairingChallenge challenge = pairing.createChallenge(user.id(), advertised(server.getInetAddress(),
            server.getLocalPort()));
        show(challenge, user);
        Instant deadline = Instant.now().plusSeconds(timeout);
        if (deadline.isAfter(challenge.expiresAt())) {
          deadline = challenge.expiresAt();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("waiting for the new device on " + String.join(", ", challenge.addresses()) + " until "
            + time(deadline));
        out.flush(); // the code must be readable while this command waits
        Device paired = serve(server, deadline, pairing, challenge, keys, user, db.databaseId());
        out.println("paired " + paired.id() + " (" + Printable.of(paired.name()) + ")");
      }
    }
    return 0;
  }

  private void show(PairingChallenge challenge, CurrentUser.Account user) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    out.println("pairing a new device with user " + user.label() + ": scan this code on it, or run there"
        + " 'cfost device join CODE' with the code below");
    out.print(challenge.qrCode().toTerminal());
    out.println(challenge.encode());
    if (png != null) {
      writeOwnerOnly(png, challenge.qrCode().toPng(8));
    }
  }

  /** Accepts connections until one brings a response that is approved (or refused), or the deadline passes. */
  private Device serve(SSLServerSocket server, Instant deadline, Pairing pairing, PairingChallenge challenge,
      DeviceKeys keys, CurrentUser.Account user, String databaseId) throws IOException {
    while (true) {
      long left = deadline.toEpochMilli() - System.currentTimeMillis();
      if (left <= 0) {
        throw new CliException("no device paired within " + timeout + " s; run 'cfost device pair' again");
      }
      server.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
      Socket socket;
      try {
        socket = server.accept();
      } catch (SocketTimeoutException e) {
        continue;
      }
      try (socket) {
        String line;
        // One deadline for the handshake and the whole line: a read timeout alone restarts with every byte.
        ScheduledFuture<?> kill = DEADLINES.schedule(() -> closeQuietly(socket), PairingChannel.RESPONSE_DEADLINE_MS,
            TimeUnit.MILLISECONDS);
        try {
          socket.setSoTimeout(PairingChannel.IO_TIMEOUT_MS);
          line = PairingChannel.readLine(socket); // the TLS handshake happens on the first read
        } catch (IOException e) {
          kill.cancel(false);
          continue; // not a pairing client (a port scan, a failed handshake, too slow): keep waiting
        }
        if (!kill.cancel(false)) {
          continue; // closed by the deadline as the line came
        }
        PairingResponse response;
        try {
          response = PairingResponse.decode(line);
          response.requireAnswers(challenge);
        } catch (PairingException e) {
          // Anyone on the LAN can send this: refuse it to its sender and keep waiting for the real device.
          reply(socket, PairingReply.refused(e.getMessage()), keys, challenge);
          log("ignored a pairing response from " + socket.getInetAddress().getHostAddress() + ": " + e.getMessage());
          continue;
        }
        if (!confirmed(response)) {
          reply(socket, PairingReply.refused("the owner of the authorizing device did not confirm"), keys, challenge);
          log("not approved; still waiting");
          continue;
        }
        Device paired;
        try {
          paired = pairing.approve(response, challenge);
        } catch (PairingException e) {
          reply(socket, PairingReply.refused(e.getMessage()), keys, challenge);
          log("refused device " + response.deviceId() + ": " + e.getMessage());
          continue;
        }
        String sync = syncAddress != null ? syncAddress
            : new PeerAddress(socket.getLocalAddress().getHostAddress(), SYNC_PORT).toString();
        reply(socket, PairingReply.approved(user.id(), user.label(), paired.id().toString(), sync, databaseId),
            keys, challenge);
        return paired;
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Shows the new device's (verified) id and name and asks the owner; {@code --yes} answers for them. */
  private boolean confirmed(PairingResponse response) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    out.println("new device " + response.deviceId() + " (" + Printable.of(response.deviceName()) + ")");
    if (yes) {
      return true;
    }
    out.print("approve it for this user? [y/N] ");
    out.flush();
    if (answers == null) {
      answers = new java.io.BufferedReader(new java.io.InputStreamReader(CfostCommand.stdinOf(spec.commandLine()), java.nio.charset.StandardCharsets.UTF_8));
    }
    String answer = answers.readLine();
    return answer != null && (answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"));
  }

  private void log(String line) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(Printable.of(line));
    out.flush();
  }

  /** Writes {@code file} readable by its owner only: a pairing code lets its holder join the user. */
  private static void writeOwnerOnly(Path file, byte[] bytes) throws IOException {
    Path abs = file.toAbsolutePath();
    Path tmp;
    try {
      tmp = Files.createTempFile(abs.getParent(), ".qr-", ".tmp", java.nio.file.attribute.PosixFilePermissions
          .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      tmp = Files.createTempFile(abs.getParent(), ".qr-", ".tmp"); // not POSIX: the folder's rules apply
    }
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void reply(Socket socket, PairingReply reply, DeviceKeys keys, PairingChallenge challenge) {
    try {
      PairingChannel.writeLine(socket, reply.encode(keys, challenge.nonce()));
    } catch (IOException e) {
      // The new device hung up; an approval stands all the same and reaches it with the device list.
    }
  }

  /** The addresses the code lists: the bound one, or for a wildcard this machine's LAN IPv4 addresses. */
  static List<String> advertised(InetAddress bound, int port) throws SocketException {
    List<String> out = new ArrayList<>();
    if (!bound.isAnyLocalAddress()) {
      out.add(new PeerAddress(bound.getHostAddress(), port).toString());
      return out;
    }
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLinkLocalAddress() && out.size() < PairingChallenge.MAX_ADDRESSES - 1) {
          out.add(a.getHostAddress() + ":" + port);
        }
      }
    }
    out.add("127.0.0.1:" + port);
    return out;
  }

  private PeerAddress address(String option, String text) {
    try {
      PeerAddress a = PeerAddress.parse(text);
      if (a.port() == 0 && option.equals("--sync-address")) {
        throw new IllegalArgumentException("port 0 is not a sync address");
      }
      return a;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  private static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
