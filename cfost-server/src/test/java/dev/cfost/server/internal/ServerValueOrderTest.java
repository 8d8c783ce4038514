package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The server's value order is cfost-core's {@code ValueOrder} (package private there, so called through
 * reflection): the same sign for every pair of values of every type, -0.0 and 0.0 included.
 */
class ServerValueOrderTest {
  private static final Method CORE;

  static {
    try {
      CORE = Class.forName("dev.cfost.internal.ValueOrder").getDeclaredMethod("compare", Object.class, Object.class);
      CORE.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Provide
  Arbitrary<Object> values() {
    return Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.longs().map(Object.class::cast),
        Arbitraries.of(0L, -1L, 1L, Long.MIN_VALUE, Long.MAX_VALUE).map(Object.class::cast),
        Arbitraries.doubles().map(Object.class::cast),
        Arbitraries.of(0.0, -0.0, 1.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY).map(Object.class::cast),
        Arbitraries.strings().ofMaxLength(3).map(Object.class::cast),
        Arbitraries.of("", "a", "é", "\uD83D\uDE00", "\uFFFF").map(Object.class::cast),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(3).map(Object.class::cast));
  }

  @Property(tries = 2000)
  void ordersEveryPairAsCfostCoreDoes(@ForAll("values") Object a, @ForAll("values") Object b) throws Exception {
    int core = (Integer) CORE.invoke(null, a, b);
    assertThat(Integer.signum(ServerValueOrder.compare(a, b))).isEqualTo(Integer.signum(core));
  }
}
