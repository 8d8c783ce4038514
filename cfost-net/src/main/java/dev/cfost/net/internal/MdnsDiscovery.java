package dev.cfost.net.internal;

import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces and finds peers on the LAN with mDNS / DNS-SD (JmDNS): service type {@value #TYPE}, TXT
 * record {@code topic=<hex>}. Each announcement has a random instance name, so a peer skips its own.
 */
final class MdnsDiscovery implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MdnsDiscovery.class);
  static final String TYPE = "_cfost._tcp.local.";

  private final String instance = "cfost-" + UUID.randomUUID().toString().substring(0, 13);
  private JmDNS jmdns; // guarded by this
  private boolean failed; // guarded by this

  private synchronized JmDNS jmdns() {
    if (jmdns == null && !failed) {
      try {
        InetAddress addr = lanAddress();
        jmdns = JmDNS.create(addr, instance);
        log.info("mDNS discovery on {}", addr);
      } catch (IOException e) {
        failed = true;
        log.warn("mDNS is not available ({}); only manual peers will be found", e.toString());
      }
    }
    return jmdns;
  }

  /** The first up, non-loopback IPv4 interface that supports multicast, else loopback. */
  static InetAddress lanAddress() throws IOException {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback() || !ni.supportsMulticast() || ni.isVirtual()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address) {
          return a;
        }
      }
    }
    return InetAddress.getLoopbackAddress();
  }

  void announce(Topic topic, int port) {
    JmDNS j = jmdns();
    if (j == null) {
      return;
    }
    try {
      j.registerService(ServiceInfo.create(TYPE, instance, port, 0, 0, Map.of("topic", topic.hex())));
    } catch (IOException e) {
      log.warn("mDNS announcement failed: {}", e.toString());
    }
  }

  List<PeerAddress> lookup(Topic topic) {
    JmDNS j = jmdns();
    if (j == null) {
      return List.of();
    }
    List<PeerAddress> out = new ArrayList<>();
    for (ServiceInfo info : j.list(TYPE, 1_000)) {
      if (instance.equals(info.getName()) || !topic.hex().equals(info.getPropertyString("topic"))) {
        continue;
      }
      for (InetAddress a : info.getInet4Addresses()) {
        out.add(new PeerAddress(a.getHostAddress(), info.getPort()));
      }
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (jmdns != null) {
      try {
        jmdns.unregisterAllServices();
        jmdns.close();
      } catch (IOException e) {
        log.debug("closing mDNS: {}", e.toString());
      }
      jmdns = null;
    }
  }
}
