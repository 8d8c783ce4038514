package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.SealRefusedException;
import dev.cfost.identity.Users;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A received batch is checked site by site as its changes come (runs of one site), and its seals are kept
 * per change: the outcome is the same whatever the runs, duplicates and extra digests.
 */
class SealRunsTest {
  @TempDir Path dir;
  final List<Cfost> open = new ArrayList<>();
  final DeviceKeys ka = DeviceKeys.generate();
  final DeviceKeys kb = DeviceKeys.generate();
  final DeviceKeys kc = DeviceKeys.generate();
  Cfost a;
  Cfost b;
  Cfost c;
  ChangeSeals sealsC;

  @BeforeEach
  void threeDevicesOfOneUser() {
    a = replica("a.db");
    b = replica("b.db");
    c = replica("c.db");
    String alice = Users.open(a, new Argon2Params(1024, 1, 1)).register("alice", "alice@example.org",
        "correct horse".toCharArray());
    Devices devices = Devices.open(a);
    devices.add(alice, ka.publicKey(), "a", null);
    devices.add(alice, kb.publicKey(), "b", ka.deviceId());
    devices.add(alice, kc.publicKey(), "c", ka.deviceId());
    devices.bindSite(kb.deviceId(), b.siteId());
    devices.bindSite(kc.deviceId(), c.siteId());
    ChangeSeals.open(a, ka, alice); // binds a's site
    sealsC = ChangeSeals.open(c, kc, alice);
    pull(c, a);
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  @Test
  void changesAlternatingBetweenTwoSitesAreRefusedAtTheFirstChangeOfTheRevokedSitesDevice() {
    Devices.open(c).revoke(kb.deviceId());
    List<Change> batch = alternating(6);
    Seal byA = seal(ka, batch); // A vouches for all, but B's site is B's, and B is revoked

    SealRefusedException e = catchThrowableOfType(SealRefusedException.class, () -> sealsC.verify(batch, List.of(byA)));

    assertThat(e.code()).isEqualTo(SealRefusedException.UNAUTHORIZED);
    assertThat(e.getMessage()).contains("key " + Values.hex(batch.get(1).pk()) + " ")
        .contains("made on device " + kb.deviceId());
    assertThat(kept(batch)).isEmpty(); // refused whole
  }

  @Test
  void changesAlternatingBetweenTwoSitesPassEachSealedByItsOwnDeviceAndNotByAnother() {
    List<Change> batch = alternating(6);
    List<Change> ofA = List.of(batch.get(0), batch.get(2), batch.get(4));
    List<Change> ofB = List.of(batch.get(1), batch.get(3), batch.get(5));

    assertThat(sealsC.verify(batch, List.of(seal(ka, ofA), seal(kb, ofB)))).isEqualTo(batch);
    assertThat(kept(batch)).hasSize(6);

    SealRefusedException e = catchThrowableOfType(SealRefusedException.class,
        () -> sealsC.verify(batch, List.of(seal(ka, ofA), seal(ka, ofB))));
    assertThat(e.code()).isEqualTo(SealRefusedException.SITE_MISMATCH);
    assertThat(e.getMessage()).contains("key " + Values.hex(batch.get(1).pk()) + " ")
        .contains("belongs to device " + kb.deviceId());

    Devices.open(c).revoke(kb.deviceId()); // the next batch sees it, whatever this one kept
    e = catchThrowableOfType(SealRefusedException.class, () -> sealsC.verify(batch, List.of(seal(ka, batch))));
    assertThat(e.code()).isEqualTo(SealRefusedException.UNAUTHORIZED);
  }

  @Test
  void aChangeTwiceInABatchAndADigestTwiceInASealAreCheckedAndKeptOnce() {
    List<Change> three = ofSite(a, 3);
    List<Change> batch = List.of(three.get(0), three.get(0), three.get(1), three.get(2), three.get(1));
    List<byte[]> digests = new ArrayList<>();
    for (Change ch : List.of(three.get(0), three.get(0), three.get(1), three.get(1), three.get(2))) {
      digests.add(ChangeSeals.digest(ch));
    }
    Seal twice = sign(ka, digests);

    assertThat(sealsC.verify(batch, List.of(twice))).isEqualTo(batch);

    assertThat(kept(three)).hasSize(3).allSatisfy((k, s) -> assertThat(s.signature()).isEqualTo(twice.signature()));
  }

  @Test
  void aSealCoveringChangesNotInTheBatchIsKeptOnlyForThoseThatAre() {
    List<Change> four = ofSite(a, 4);
    Seal all = seal(ka, four);
    List<Change> batch = List.of(four.get(1), four.get(3));

    assertThat(sealsC.verify(batch, List.of(all))).isEqualTo(batch);

    assertThat(kept(four).keySet()).containsExactlyInAnyOrder(key(four.get(1)), key(four.get(3)));
  }

  @Test
  void keepStoresEachChangesFirstCoveringSealUnlessThatSealIsMalformed() {
    List<Change> batch = ofSite(a, 3_000);
    List<Change> extra = ofSite(b, 2);
    List<byte[]> malformedDigests = new ArrayList<>();
    malformedDigests.add(ChangeSeals.digest(batch.get(0)));
    malformedDigests.add(new byte[31]);
    Seal malformed = new Seal(ka.deviceId().toString(), new byte[64], malformedDigests);
    List<Change> signed = new ArrayList<>(batch);
    signed.addAll(extra); // covers two changes that are not in the batch
    Seal good = seal(ka, signed);

    sealsC.keep(batch, List.of(malformed, good));

    Map<DigestKey, Seal> kept = kept(signed);
    assertThat(kept).hasSize(batch.size() - 1).doesNotContainKey(key(batch.get(0)))
        .doesNotContainKey(key(extra.get(0))).doesNotContainKey(key(extra.get(1)));
    assertThat(kept.values()).allSatisfy(s -> assertThat(s.signature()).isEqualTo(good.signature()));
  }

  /** Changes of sites a and b in turn, a first. */
  private List<Change> alternating(int n) {
    List<Change> ofA = ofSite(a, n);
    List<Change> ofB = ofSite(b, n);
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i % 2 == 0 ? ofA.get(i) : ofB.get(i));
    }
    return out;
  }

  private static List<Change> ofSite(Cfost site, int n) {
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] id = String.format("k%05d", i).getBytes(StandardCharsets.US_ASCII);
      byte[] pk = new byte[3 + id.length];
      pk[0] = 1;
      pk[1] = 11;
      pk[2] = (byte) id.length;
      System.arraycopy(id, 0, pk, 3, id.length);
      out.add(new Change("todo", pk, "title", "v" + i, 5, i + 1, site.siteId(), 1, 0));
    }
    return out;
  }

  private Seal seal(DeviceKeys keys, List<Change> changes) {
    return sign(keys, changes.stream().map(ChangeSeals::digest).toList());
  }

  private Seal sign(DeviceKeys keys, List<byte[]> digests) {
    return new Seal(keys.deviceId().toString(), keys.sign(SqlChangeSeals.signedBytes(c.databaseId(), digests)), digests);
  }

  private static DigestKey key(Change ch) {
    return DigestKey.of(ChangeSeals.digest(ch));
  }

  /** The seals c keeps for these changes, by digest. */
  private Map<DigestKey, Seal> kept(List<Change> changes) {
    List<byte[]> digests = changes.stream().map(ChangeSeals::digest).toList();
    return new Db(c).write(conn -> SealStore.find(conn, digests));
  }

  private Cfost replica(String name) {
    Cfost db = Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).build());
    open.add(db);
    return db;
  }

  private static void pull(Cfost to, Cfost from) {
    from.capture();
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch batch = from.changes(cursor, 100);
      if (!batch.changes().isEmpty()) {
        to.merge(batch.changes());
      }
      cursor = batch.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (batch.caughtUp()) {
        return;
      }
    }
  }
}
