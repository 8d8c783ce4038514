package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.net.PeerAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class AddressesTest {
  @Test
  void aPeerIsAHostAndARealPort() {
    assertThat(new Addresses.Peer().convert("127.0.0.1:7947")).isEqualTo(new PeerAddress("127.0.0.1", 7947));
    assertThat(new Addresses.Peer().convert("[::1]:80")).isEqualTo(new PeerAddress("::1", 80));
    assertThatThrownBy(() -> new Addresses.Peer().convert("127.0.0.1:0"))
        .isInstanceOf(TypeConversionException.class).hasMessageContaining("port 0");
    assertThatThrownBy(() -> new Addresses.Peer().convert("7947"))
        .isInstanceOf(TypeConversionException.class).hasMessageContaining("not a HOST:PORT address: '7947'");
  }

  @Test
  void aListenAddressMayAskForAnyPortAndKeepsTheHostAsWritten() {
    InetSocketAddress any = new Addresses.Listen().convert("0.0.0.0:0");
    assertThat(any.getPort()).isZero();
    assertThat(any.getAddress().isAnyLocalAddress()).isTrue();
    assertThat(Addresses.text(any, 40123)).isEqualTo("0.0.0.0:40123");
    assertThat(Addresses.text(new Addresses.Listen().convert("[::1]:7947"), 7947)).isEqualTo("[::1]:7947");
    assertThatThrownBy(() -> new Addresses.Listen().convert(":7947")).isInstanceOf(TypeConversionException.class);
  }
}
