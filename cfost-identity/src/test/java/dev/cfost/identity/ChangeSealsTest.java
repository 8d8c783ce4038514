package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.identity.internal.SqlChangeSeals;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seals: A's changes reach C through B with A's signature, and every way of breaking that is refused. */
class ChangeSealsTest {
  @TempDir Path dir;
  final List<Cfost> open = new ArrayList<>();
  Cfost a;
  Cfost b;
  Cfost c;
  DeviceKeys ka = DeviceKeys.generate();
  DeviceKeys kb = DeviceKeys.generate();
  DeviceKeys kc = DeviceKeys.generate();
  String alice;
  ChangeSeals sealsA;
  ChangeSeals sealsB;
  ChangeSeals sealsC;

  @BeforeEach
  void threeDevicesOfOneUser() {
    a = replica("a.db");
    b = replica("b.db");
    c = replica("c.db");
    alice = Fixtures.userWithDevice(a, "alice", ka);
    Devices devices = Devices.open(a);
    devices.add(alice, kb.publicKey(), "b", ka.deviceId());
    devices.add(alice, kc.publicKey(), "c", ka.deviceId());
    devices.bindSite(kb.deviceId(), b.siteId());
    devices.bindSite(kc.deviceId(), c.siteId());
    sealsA = ChangeSeals.open(a, ka, alice); // binds a's own site, as a database made before signing does
    sealsB = ChangeSeals.open(b, kb, alice); // makes the identity tables, so the device list can arrive
    sealsC = ChangeSeals.open(c, kc, alice);
    Fixtures.pull(b, a);
    Fixtures.pull(c, a);
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  private Cfost replica(String name) {
    Cfost db = Fixtures.open(dir.resolve(name));
    open.add(db);
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER)");
    db.replicate("todo");
    return db;
  }

  private static void sql(Cfost db, String statement) {
    try (Connection conn = db.connect(); Statement s = conn.createStatement()) {
      s.execute(statement);
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** The todo changes {@code db} would send now, as a session reads them. */
  private static List<Change> todos(Cfost db) {
    return db.changes(Cursor.START, 1000, new ChangeFilter(Set.of("todo"), java.util.Map.of(), null)).changes();
  }

  @Test
  void aDeviceSealsItsOwnChangesAndAnotherDeviceVerifiesThem() {
    assertThat(Devices.open(a).find(ka.deviceId()).orElseThrow().siteId())
        .hasValueSatisfying(s -> assertThat(s).isEqualTo(a.siteId()));
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    List<Change> batch = todos(a);

    SealedChanges sealed = sealsA.seal(batch);

    assertThat(sealed.changes()).isEqualTo(batch);
    assertThat(sealed.seals()).singleElement().satisfies(s -> {
      assertThat(s.deviceId()).isEqualTo(ka.deviceId().toString());
      assertThat(s.digests()).hasSize(batch.size());
    });
    sealsB.verify(sealed.changes(), sealed.seals());
  }

  @Test
  void theDigestCoversEveryOriginFieldButNotTheRelaysCounters() {
    byte[] site = PairingTest.site();
    Change base = new Change("todo", new byte[] {1, 11, 1, 'a'}, "title", "x", 5, 9, site, 1, 0);
    List<Change> variants = List.of(base,
        new Change("todo2", base.pk(), "title", "x", 5, 9, site, 1, 0),
        new Change("todo", new byte[] {1, 11, 1, 'b'}, "title", "x", 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "done", "x", 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", "y", 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", null, 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", 1L, 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", 1.0, 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", "1", 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", new byte[] {'1'}, 5, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", "x", 6, 9, site, 1, 0),
        new Change("todo", base.pk(), "title", "x", 5, 9, site, 3, 0),
        new Change("todo", base.pk(), "title", "x", 5, 9, PairingTest.site(), 1, 0),
        // Length prefixes: moving a byte from one field to the next changes the digest.
        new Change("todo\u0001", new byte[] {11, 1, 'a'}, "title", "x", 5, 9, site, 1, 0));
    Set<String> digests = variants.stream().map(v -> Values.hex(ChangeSeals.digest(v))).collect(Collectors.toSet());
    assertThat(digests).hasSize(variants.size());

    Change renumbered = new Change("todo", base.pk(), "title", "x", 5, 1234, site, 1, 77);
    assertThat(ChangeSeals.digest(renumbered)).isEqualTo(ChangeSeals.digest(base));
  }

  @Test
  void aRelayForwardsAnotherDevicesChangesWithTheirOriginalSeal() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    SealedChanges fromA = sealsA.seal(todos(a));
    sealsB.verify(fromA.changes(), fromA.seals());
    b.merge(fromA.changes());

    List<Change> relayed = todos(b); // renumbered by b
    SealedChanges fromB = sealsB.seal(relayed);

    assertThat(fromB.changes()).isEqualTo(relayed);
    assertThat(fromB.seals()).singleElement().satisfies(s -> assertThat(s.deviceId()).isEqualTo(ka.deviceId().toString()));
    sealsC.verify(fromB.changes(), fromB.seals());
  }

  @Test
  void aChangeAlteredByARelayIsRefusedWithWhatWasWrong() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    SealedChanges fromA = sealsA.seal(todos(a));
    sealsB.verify(fromA.changes(), fromA.seals());
    b.merge(fromA.changes());
    SealedChanges fromB = sealsB.seal(todos(b));
    List<Change> altered = new ArrayList<>(fromB.changes());
    Change title = altered.stream().filter(x -> x.cid().equals("title")).findFirst().orElseThrow();
    altered.set(altered.indexOf(title), new Change(title.table(), title.pk(), title.cid(), "poison",
        title.colVersion(), title.dbVersion(), title.siteId(), title.cl(), title.seq()));

    SealRefusedException e = refusal(() -> sealsC.verify(altered, fromB.seals()));

    assertThat(e.code()).isEqualTo(SealRefusedException.UNSIGNED_CHANGE);
    assertThat(e.getMessage()).contains("'todo'", Values.hex(title.pk()), "'title'", Values.hex(a.siteId()));
  }

  @Test
  void aRelaySigningAnotherDevicesChangeWithItsOwnKeyIsRefused() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    List<Change> batch = todos(a);
    List<byte[]> digests = batch.stream().map(ChangeSeals::digest).toList();
    Seal byB = new Seal(kb.deviceId().toString(), kb.sign(SqlChangeSeals.signedBytes(c.databaseId(), digests)), digests);

    SealRefusedException e = refusal(() -> sealsC.verify(batch, List.of(byB)));

    assertThat(e.code()).isEqualTo(SealRefusedException.SITE_MISMATCH);
    assertThat(e.getMessage()).contains(ka.deviceId().toString()).contains(kb.deviceId().toString());
  }

  @Test
  void forgedAndGarbageSignaturesAreRefusedWithoutAnExceptionEscaping() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    SealedChanges honest = sealsA.seal(todos(a));
    Seal s = honest.seals().get(0);
    byte[] invalidPoint = new byte[64];
    invalidPoint[0] = 2; // the JDK's verify throws "Invalid point" for this R
    byte[] allOnes = new byte[64];
    Arrays.fill(allOnes, (byte) 0xff);
    byte[] flipped = s.signature().clone();
    flipped[10] ^= 1;
    DeviceKeys mallory = DeviceKeys.generate();
    byte[] byMallory = mallory.sign(SqlChangeSeals.signedBytes(a.databaseId(), s.digests()));
    for (byte[] sig : new byte[][] {invalidPoint, allOnes, new byte[64], new byte[0], new byte[63], flipped, byMallory}) {
      Seal forged = new Seal(s.deviceId(), sig, s.digests());
      SealRefusedException e = refusal(() -> sealsB.verify(honest.changes(), List.of(forged)));
      assertThat(e.code()).as("%d-byte signature", sig.length).isEqualTo(SealRefusedException.BAD_SIGNATURE);
    }
    Seal otherDatabase = new Seal(s.deviceId(), ka.sign(SqlChangeSeals.signedBytes("another", s.digests())), s.digests());
    assertThat(refusal(() -> sealsB.verify(honest.changes(), List.of(otherDatabase))).code())
        .isEqualTo(SealRefusedException.BAD_SIGNATURE);
  }

  @Test
  void unsignedChangesAndAKnownDevicesChangesSealedByAnUnknownDeviceAreRefused() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    SealedChanges honest = sealsA.seal(todos(a));
    assertThat(refusal(() -> sealsB.verify(honest.changes(), List.of())).code())
        .isEqualTo(SealRefusedException.UNSIGNED_CHANGE);

    DeviceKeys stranger = DeviceKeys.generate();
    List<byte[]> digests = honest.seals().get(0).digests();
    Seal byStranger = new Seal(stranger.deviceId().toString(),
        stranger.sign(SqlChangeSeals.signedBytes(b.databaseId(), digests)), digests);
    SealRefusedException e = refusal(() -> sealsB.verify(honest.changes(), List.of(byStranger)));
    assertThat(e.code()).isEqualTo(SealRefusedException.SITE_MISMATCH); // a's site needs a's seal, known or not
    assertThat(e.getMessage()).contains(ka.deviceId().toString());
    assertThat(held(b)).isZero();
  }

  @Test
  void aBatchOfADeviceNotKnownYetIsHeldThenMergedOnceItsRowArrives() {
    NewDevice d = newDeviceWithARow("d", "eggs");
    SealedChanges fromD = d.batch();
    sql(b, "INSERT INTO todo VALUES ('from-b', 'bread', 0)");
    SealedChanges fromB = sealsB.seal(todos(b));
    List<Change> batch = new ArrayList<>(fromB.changes());
    batch.addAll(fromD.changes());
    List<Seal> seals = new ArrayList<>(fromB.seals());
    seals.addAll(fromD.seals());

    List<Change> now = sealsC.verify(batch, seals);

    assertThat(now).isEqualTo(fromB.changes()); // what can be checked is merged at once
    assertThat(held(c)).isEqualTo(fromD.changes().size());
    assertThat(sealsC.releasable()).isEmpty(); // d is still unknown
    addDevice(d);
    ChangeSeals afterRestart = ChangeSeals.open(c, kc, alice); // the held table outlives the process
    List<Change> released = afterRestart.releasable();
    assertThat(released).containsExactlyInAnyOrderElementsOf(fromD.changes());
    c.merge(released);
    afterRestart.released(released);
    assertThat(held(c)).isZero();
    assertThat(afterRestart.releasable()).isEmpty();
    SealedChanges relayed = afterRestart.seal(todos(c).stream().filter(x -> Arrays.equals(x.siteId(), d.db().siteId())).toList());
    assertThat(relayed.seals()).singleElement().satisfies(s -> assertThat(s.deviceId()).isEqualTo(d.keys().deviceId().toString()));
  }

  @Test
  void aHeldChangeWhoseDeviceTurnsOutRevokedOrWhoseSealIsForgedIsDroppedNotMerged() {
    NewDevice d = newDeviceWithARow("d", "eggs");
    SealedChanges fromD = d.batch();
    NewDevice e = newDeviceWithARow("e", "jam");
    List<Change> fromE = e.batch().changes();
    List<byte[]> digests = fromE.stream().map(ChangeSeals::digest).toList();
    DeviceKeys mallory = DeviceKeys.generate();
    Seal forgedForE = new Seal(e.keys().deviceId().toString(), mallory.sign(SqlChangeSeals.signedBytes(c.databaseId(), digests)), digests);
    assertThat(sealsC.verify(fromD.changes(), fromD.seals())).isEmpty();
    assertThat(sealsC.verify(fromE, List.of(forgedForE))).isEmpty();

    addDevice(d);
    addDevice(e);
    Devices.open(a).revoke(d.keys().deviceId());
    Fixtures.pull(c, a);

    assertThat(sealsC.releasable()).isEmpty();
    assertThat(held(c)).isZero();
    assertThat(todos(c)).isEmpty();
  }

  @Test
  void aHeldBatchAlteredInTransitOrMalformedIsStillRefusedAtOnce() {
    NewDevice d = newDeviceWithARow("d", "eggs");
    SealedChanges fromD = d.batch();
    List<Change> altered = new ArrayList<>(fromD.changes());
    Change title = altered.stream().filter(x -> x.cid().equals("title")).findFirst().orElseThrow();
    altered.set(altered.indexOf(title), new Change(title.table(), title.pk(), title.cid(), "poison",
        title.colVersion(), title.dbVersion(), title.siteId(), title.cl(), title.seq()));
    Seal s = fromD.seals().get(0);
    List<byte[]> shortDigest = new ArrayList<>(s.digests());
    shortDigest.set(0, Arrays.copyOf(shortDigest.get(0), 31));

    // An unknown device's signature cannot be checked yet, but its digests can: a change it does not
    // cover was altered (or never sealed).
    assertThat(refusal(() -> sealsC.verify(altered, fromD.seals())).code()).isEqualTo(SealRefusedException.UNSIGNED_CHANGE);
    assertThat(refusal(() -> sealsC.verify(fromD.changes(), List.of(new Seal(s.deviceId(), s.signature(), shortDigest)))).code())
        .isEqualTo(SealRefusedException.BAD_SIGNATURE);
    assertThat(refusal(() -> sealsC.verify(fromD.changes(), List.of(new Seal(s.deviceId(), new byte[63], s.digests())))).code())
        .isEqualTo(SealRefusedException.BAD_SIGNATURE);
    assertThat(held(c)).isZero();
  }

  /** A device not in anyone's device list yet, and its sealed batch of one new todo row. */
  record NewDevice(DeviceKeys keys, Cfost db, SealedChanges batch) {}

  private NewDevice newDeviceWithARow(String name, String title) {
    DeviceKeys keys = DeviceKeys.generate();
    Cfost db = replica(name + ".db");
    sql(db, "INSERT INTO todo VALUES ('from-" + name + "', '" + title + "', 0)");
    return new NewDevice(keys, db, ChangeSeals.open(db, keys, alice).seal(todos(db)));
  }

  /** Adds {@code d} to the user's device list on a, bound to its site, and brings the list to c. */
  private void addDevice(NewDevice d) {
    Devices onA = Devices.open(a);
    onA.add(alice, d.keys().publicKey(), "new", ka.deviceId());
    onA.bindSite(d.keys().deviceId(), d.db().siteId());
    Fixtures.pull(c, a);
  }

  private static int held(Cfost db) {
    try (Connection conn = db.connect(); Statement s = conn.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM identity_held")) {
      return rs.next() ? rs.getInt(1) : -1;
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRevokedDevicesChangesAreRefusedAndRelaysLeaveThemOut() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    SealedChanges fromA = sealsA.seal(todos(a));
    sealsB.verify(fromA.changes(), fromA.seals());
    b.merge(fromA.changes());
    SealedChanges beforeRevocation = sealsB.seal(todos(b));

    Devices.open(c).revoke(ka.deviceId());
    SealRefusedException e = refusal(() -> sealsC.verify(beforeRevocation.changes(), beforeRevocation.seals()));
    assertThat(e.code()).isEqualTo(SealRefusedException.UNAUTHORIZED);
    assertThat(e.getMessage()).contains(ka.deviceId().toString());
    List<byte[]> digests = beforeRevocation.changes().stream().map(ChangeSeals::digest).toList();
    Seal vouchedByB = new Seal(kb.deviceId().toString(), kb.sign(SqlChangeSeals.signedBytes(c.databaseId(), digests)), digests);
    SealRefusedException vouched = refusal(() -> sealsC.verify(beforeRevocation.changes(), List.of(vouchedByB)));
    assertThat(vouched.code()).isEqualTo(SealRefusedException.UNAUTHORIZED);
    assertThat(vouched.getMessage()).contains("made on device " + ka.deviceId());

    Devices.open(b).revoke(ka.deviceId());
    sql(b, "INSERT INTO todo VALUES ('t2', 'bread', 0)");
    SealedChanges afterRevocation = sealsB.seal(todos(b));
    assertThat(afterRevocation.changes()).isNotEmpty().allSatisfy(x -> assertThat(x.siteId()).isEqualTo(b.siteId()));
    sealsC.verify(afterRevocation.changes(), afterRevocation.seals());
  }

  @Test
  void changesOfASiteOfNoDeviceNeedTheSealOfAnAuthorizedDeviceThatVouchesForThem() {
    byte[] bundleSite = PairingTest.site(); // as if merged from a JSON Lines bundle or a cr-sqlite peer
    b.merge(List.of(new Change("todo", todos(aRow()).get(0).pk(), "title", "imported", 7, 1, bundleSite, 1, 0)));
    List<Change> batch = todos(b);

    SealedChanges vouched = sealsB.seal(batch);

    assertThat(vouched.changes()).isEqualTo(batch);
    assertThat(vouched.seals()).singleElement().satisfies(s -> assertThat(s.deviceId()).isEqualTo(kb.deviceId().toString()));
    sealsC.verify(vouched.changes(), vouched.seals());
    assertThat(refusal(() -> sealsC.verify(batch, List.of())).code()).isEqualTo(SealRefusedException.UNSIGNED_CHANGE);
  }

  /** Issue 10: two different malformed texts must not share a digest (both used to encode as "x?"). */
  @Test
  void textWithALoneSurrogateIsRefusedNotDigestedAsAQuestionMark() {
    byte[] pk = new byte[] {1, 11, 2, 't', '9'};
    Change signed = new Change("todo", pk, "title", "x?", 5, 1, a.siteId(), 1, 0); // what A really wrote
    List<byte[]> digests = List.of(ChangeSeals.digest(signed));
    Seal seal = new Seal(ka.deviceId().toString(), ka.sign(SqlChangeSeals.signedBytes(b.databaseId(), digests)), digests);
    Change altered = new Change("todo", pk, "title", "x\udc00", 5, 1, a.siteId(), 1, 0);
    SealRefusedException e = refusal(() -> sealsB.verify(List.of(altered), List.of(seal)));
    assertThat(e.getMessage()).contains("surrogate");
  }

  /** Changes of a site of no device, sealed by a device nobody knows: what a relay can invent at will. */
  private static List<Change> unknownDevicesBatch(int from, int n, byte[] site) {
    List<Change> out = new ArrayList<>(n);
    for (int i = from; i < from + n; i++) {
      byte[] key = ("h" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] pk = new byte[3 + key.length];
      pk[0] = 1;
      pk[1] = 11;
      pk[2] = (byte) key.length;
      System.arraycopy(key, 0, pk, 3, key.length);
      out.add(new Change("todo", pk, "title", "held " + i, 1, i + 1, site, 1, 0));
    }
    return out;
  }

  private static Seal sealBy(DeviceKeys k, String databaseId, List<Change> changes) {
    List<byte[]> digests = changes.stream().map(ChangeSeals::digest).toList();
    return new Seal(k.deviceId().toString(), k.sign(SqlChangeSeals.signedBytes(databaseId, digests)), digests);
  }

  /** Issue 10, item 8: changes held for devices that never join are bounded and expire. */
  @Test
  void changesHeldForUnknownDevicesAreBoundedAndExpire() throws Exception {
    DeviceKeys stranger = DeviceKeys.generate();
    byte[] site = PairingTest.site();
    for (int i = 0; i < 5; i++) {
      List<Change> batch = unknownDevicesBatch(i * 20_000, 20_000, site);
      assertThat(sealsB.verify(batch, List.of(sealBy(stranger, b.databaseId(), batch)))).isEmpty();
    }
    assertThat(held(b)).isEqualTo(100_000);
    List<Change> more = unknownDevicesBatch(100_000, 10, site);
    SealRefusedException e = refusal(() -> sealsB.verify(more, List.of(sealBy(stranger, b.databaseId(), more))));
    assertThat(e.code()).isEqualTo(SealRefusedException.HELD_LIMIT);
    assertThat(held(b)).isEqualTo(100_000);

    sql(b, "UPDATE identity_held SET received_at = 0"); // held for more than 30 days
    sealsB.verify(more, List.of(sealBy(stranger, b.databaseId(), more)));
    assertThat(held(b)).isEqualTo(10);
  }

  /** Issue 10, item 8: the bound is per peer, so one relay at its quota does not stop another's changes. */
  @Test
  void changesHeldForUnknownDevicesAreBoundedPerPeer() throws Exception {
    DeviceKeys stranger = DeviceKeys.generate();
    byte[] site = PairingTest.site();
    byte[] peerA = PairingTest.site();
    byte[] peerB = PairingTest.site();
    for (int i = 0; i < 5; i++) {
      List<Change> batch = unknownDevicesBatch(i * 20_000, 20_000, site);
      assertThat(sealsB.verify(peerA, batch, List.of(sealBy(stranger, b.databaseId(), batch)))).isEmpty();
    }
    List<Change> more = unknownDevicesBatch(100_000, 10, site);
    SealRefusedException e = refusal(() -> sealsB.verify(peerA, more, List.of(sealBy(stranger, b.databaseId(), more))));
    assertThat(e.code()).isEqualTo(SealRefusedException.HELD_LIMIT);
    assertThat(held(b)).isEqualTo(100_000);

    assertThat(sealsB.verify(peerB, more, List.of(sealBy(stranger, b.databaseId(), more)))).isEmpty();
    List<Change> fromBundle = unknownDevicesBatch(200_000, 5, site);
    assertThat(sealsB.verify(fromBundle, List.of(sealBy(stranger, b.databaseId(), fromBundle)))).isEmpty();
    assertThat(held(b)).isEqualTo(100_015);
    try (Connection conn = b.connect(); Statement s = conn.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM identity_held WHERE peer = x'"
            + Values.hex(peerB) + "'")) {
      assertThat(rs.getLong(1)).isEqualTo(10);
    }
  }

  // ---- the device list B keeps between batches (DeviceListCache) is never served stale

  @Test
  void aRevocationMergedFromAnotherDeviceRefusesTheNextBatchOfAStream() {
    checkedByB(nextBatchOfA()); // B now keeps the list it checked this against
    Devices.open(c).revoke(ka.deviceId());
    Fixtures.pull(b, c); // the revocation arrives as B merges C's changes

    assertRefusedByB(nextBatchOfA(), SealRefusedException.UNAUTHORIZED);
  }

  @Test
  void aRevocationMadeOnTheReplicaThroughAnotherObjectRefusesTheNextBatch() {
    checkedByB(nextBatchOfA());
    Devices.open(b).revoke(ka.deviceId());

    assertRefusedByB(nextBatchOfA(), SealRefusedException.UNAUTHORIZED);
  }

  @Test
  void aRevocationWrittenByAnotherProcessRefusesTheNextBatch() throws java.sql.SQLException {
    checkedByB(nextBatchOfA());
    // A plain SQLite connection of its own, as another process (an older CFOST, the sqlite3 shell) writes.
    try (Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("b.db"));
        Statement s = other.createStatement()) {
      s.execute("INSERT INTO identity_revocations(device_id, revoked_at) VALUES ('" + ka.deviceId() + "', 1)");
    }

    assertRefusedByB(nextBatchOfA(), SealRefusedException.UNAUTHORIZED);
  }

  @Test
  void withItsTriggersDroppedTheDeviceListIsReadForEveryBatch() {
    checkedByB(nextBatchOfA());
    sql(b, "DROP TRIGGER identity_revocations_listed_insert");
    checkedByB(nextBatchOfA());
    Devices.open(b).revoke(ka.deviceId());

    assertRefusedByB(nextBatchOfA(), SealRefusedException.UNAUTHORIZED);
  }

  @Test
  void aSiteBoundBetweenTwoBatchesIsSeenByTheSecond() {
    // A change of a site bound to no device may be vouched for by any authorized device; once the site is
    // bound to C, only C's seal proves it.
    byte[] site = PairingTest.site();
    Change foreign = new Change("todo", todos(aRow()).get(0).pk(), "title", "imported", 99, 1, site, 1, 0);
    a.merge(List.of(foreign));
    SealedChanges vouched = sealsA.seal(List.of(foreign));
    checkedByB(vouched);
    sql(b, "UPDATE identity_devices SET site_id = x'" + Values.hex(site) + "' WHERE device_id = '" + kc.deviceId() + "'");

    assertRefusedByB(vouched, SealRefusedException.SITE_MISMATCH);
  }

  private int rowsOfA;

  /** A new row written on A, sealed by A, as A's stream goes on. */
  private SealedChanges nextBatchOfA() {
    rowsOfA++;
    sql(a, "INSERT INTO todo VALUES ('row" + rowsOfA + "', 'milk', 0)");
    return sealsA.seal(todos(a).stream().filter(x -> Arrays.equals(x.siteId(), a.siteId())).toList());
  }

  private void checkedByB(SealedChanges batch) {
    assertThat(sealsB.verify(batch.changes(), batch.seals())).isEqualTo(batch.changes());
  }

  private void assertRefusedByB(SealedChanges batch, String code) {
    SealRefusedException e = refusal(() -> sealsB.verify(batch.changes(), batch.seals()));
    assertThat(e.code()).isEqualTo(code);
  }

  private Cfost aRow() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    return a;
  }

  private static SealRefusedException refusal(Runnable r) {
    Throwable t = catchThrowable(r::run);
    assertThat(t).isInstanceOf(SealRefusedException.class);
    return (SealRefusedException) t;
  }

  static Set<String> hex(List<byte[]> digests) {
    return digests.stream().map(Values::hex).collect(Collectors.toCollection(HashSet::new));
  }
}
