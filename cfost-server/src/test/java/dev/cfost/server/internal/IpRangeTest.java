package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IpRangeTest {
  @Test
  void aBlockHoldsTheAddressesOfItsPrefixOnly() {
    IpRange r = IpRange.parse("10.1.0.0/16");
    assertThat(r.contains("10.1.255.7")).isTrue();
    assertThat(r.contains("10.2.0.1")).isFalse();
    IpRange odd = IpRange.parse("192.0.2.64/26");
    assertThat(odd.contains("192.0.2.127")).isTrue();
    assertThat(odd.contains("192.0.2.128")).isFalse();
    assertThat(odd.contains("192.0.2.63")).isFalse();
  }

  @Test
  void aBareAddressIsABlockOfOne() {
    IpRange r = IpRange.parse("192.0.2.7");
    assertThat(r.contains("192.0.2.7")).isTrue();
    assertThat(r.contains("192.0.2.8")).isFalse();
    assertThat(r).hasToString("192.0.2.7/32");
  }

  @Test
  void ipv6BlocksAndMappedAddresses() {
    IpRange r = IpRange.parse("fd00::/8");
    assertThat(r.contains("fd12:3456::1")).isTrue();
    assertThat(r.contains("fe80::1")).isFalse();
    assertThat(r.contains("10.0.0.1")).as("no IPv4 address is in an IPv6 block").isFalse();
    assertThat(IpRange.parse("127.0.0.0/8").contains("::ffff:127.0.0.1")).isTrue();
    assertThat(IpRange.parse("0.0.0.0/0").contains("203.0.113.9")).isTrue();
  }

  @Test
  void namesAndMalformedBlocksAreRefusedWithTheText() {
    assertThatThrownBy(() -> IpRange.parse("metrics.example.org")).hasMessageContaining("'metrics.example.org'");
    assertThatThrownBy(() -> IpRange.parse("10.0.0.0/33")).hasMessageContaining("0 to 32");
    assertThatThrownBy(() -> IpRange.parse("::/x")).hasMessageContaining("0 to 128");
    assertThat(IpRange.parse("10.0.0.0/8").contains("not an address")).isFalse();
  }
}
