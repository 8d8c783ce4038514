package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.net.SyncException;
import dev.cfost.server.ServerDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server's seal check looks a site's device up once per run of changes of one site: a batch whose
 * sites alternate is refused at the same change, with the same error, as when every change was checked alone.
 */
class SealCheckTest {
  private static final String DB = "db-1";
  private final DeviceKeys ka = DeviceKeys.generate();
  private final DeviceKeys kb = DeviceKeys.generate();
  private final DeviceKeys revoked = DeviceKeys.generate();
  private final DeviceKeys unknown = DeviceKeys.generate();
  private final byte[] siteA = site(1);
  private final byte[] siteB = site(2);
  private final byte[] siteRevoked = site(3);
  private final byte[] siteUnknown = site(4);
  private final Map<String, ServerDevice> devices = Map.of(
      id(ka), new ServerDevice("u", id(ka), ka.publicKey(), false),
      id(kb), new ServerDevice("u", id(kb), kb.publicKey(), false),
      id(revoked), new ServerDevice("u", id(revoked), revoked.publicKey(), true));
  private final Map<String, String> sites = Map.of(Values.hex(siteA), id(ka), Values.hex(siteB), id(kb),
      Values.hex(siteRevoked), id(revoked), Values.hex(siteUnknown), id(unknown));

  @Test
  void alternatingSitesEachSealedByItsOwnDevicePassWithTheirDigestsInOrder() {
    List<Change> batch = alternating(siteA, siteB, 6);

    List<byte[]> digests = verify(batch, List.of(seal(ka, every(batch, 0)), seal(kb, every(batch, 1))));

    assertThat(digests).hasSize(6);
    for (int i = 0; i < batch.size(); i++) {
      assertThat(digests.get(i)).isEqualTo(ChangeSeals.digest(batch.get(i)));
    }
  }

  @Test
  void alternatingSitesAreRefusedAtTheFirstChangeOfTheSiteNotSealedByItsDevice() {
    List<Change> batch = alternating(siteA, siteRevoked, 6);

    SyncException e = catchThrowableOfType(SyncException.class, () -> verify(batch, List.of(seal(ka, batch))));

    assertThat(e.code()).isEqualTo("site_mismatch");
    assertThat(e.getMessage()).contains("key " + Values.hex(batch.get(1).pk()) + ",")
        .contains("belongs to device " + id(revoked));
  }

  @Test
  void alternatingSitesAreRefusedAtTheFirstChangeOfTheSiteWhoseDeviceIsNotAuthorized() {
    List<Change> batch = alternating(siteA, siteUnknown, 6);

    SyncException e = catchThrowableOfType(SyncException.class,
        () -> verify(batch, List.of(seal(ka, every(batch, 0)), seal(unknown, every(batch, 1)))));

    assertThat(e.code()).isEqualTo("unauthorized");
    assertThat(e.getMessage()).contains("key " + Values.hex(batch.get(1).pk()) + ",")
        .contains("belongs to device " + id(unknown) + ", which is revoked");
  }

  @Test
  void duplicateChangesAndDigestsAndDigestsOfChangesNotInTheBatchPass() {
    List<Change> six = alternating(siteA, siteA, 6);
    List<Change> batch = List.of(six.get(0), six.get(0), six.get(2), six.get(2));
    List<Change> signed = new ArrayList<>(six);
    signed.add(six.get(2));

    List<byte[]> digests = verify(batch, List.of(seal(ka, signed)));

    assertThat(digests).hasSize(4);
    assertThat(digests.get(1)).isEqualTo(ChangeSeals.digest(six.get(0)));
    assertThat(digests.get(3)).isEqualTo(ChangeSeals.digest(six.get(2)));
  }

  private List<byte[]> verify(List<Change> batch, List<Seal> seals) {
    return SealCheck.verify(DB, batch, seals, devices, sites, "u", x -> false);
  }

  private static List<Change> alternating(byte[] first, byte[] second, int n) {
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pk = {1, 11, 2, 'k', (byte) ('0' + i)};
      out.add(new Change("todo", pk, "title", "v" + i, 5, i + 1, i % 2 == 0 ? first : second, 1, 0));
    }
    return out;
  }

  private static List<Change> every(List<Change> batch, int from) {
    List<Change> out = new ArrayList<>();
    for (int i = from; i < batch.size(); i += 2) {
      out.add(batch.get(i));
    }
    return out;
  }

  private static Seal seal(DeviceKeys keys, List<Change> changes) {
    List<byte[]> digests = changes.stream().map(ChangeSeals::digest).toList();
    return new Seal(id(keys), keys.sign(ChangeSeals.signedBytes(DB, digests)), digests);
  }

  private static String id(DeviceKeys keys) {
    return keys.deviceId().toString();
  }

  private static byte[] site(int b) {
    byte[] s = new byte[16];
    Arrays.fill(s, (byte) b);
    return s;
  }
}
