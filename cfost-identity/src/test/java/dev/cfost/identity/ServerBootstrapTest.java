package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.internal.PackedKey;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncException;
import dev.cfost.net.Transports;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device paired by code that reaches the user's other devices only through a sync server: before it
 * knows the device list, it accepts what the device that paired it sealed, checked against that device's
 * key, and nothing the server could have made.
 */
class ServerBootstrapTest {
  @TempDir Path dir;
  final DeviceKeys laptopKeys = DeviceKeys.generate();
  final DeviceKeys phoneKeys = DeviceKeys.generate();
  final DeviceKeys tabletKeys = DeviceKeys.generate();
  final byte[] serverSite = new byte[16];
  final List<Cfost> open = new ArrayList<>();
  Cfost laptop;
  Cfost phone;
  String alice;

  @BeforeEach
  void aLaptopThatPairedAPhone() {
    laptop = replica("laptop.db");
    phone = replica("phone.db");
    alice = Users.open(laptop, new Argon2Params(1024, 1, 1))
        .register("alice", "alice@example.org", "correct horse".toCharArray());
    Devices devices = Devices.open(laptop);
    devices.add(alice, laptopKeys.publicKey(), "laptop", null);
    devices.bindSite(laptopKeys.deviceId(), laptop.siteId());
    devices.add(alice, phoneKeys.publicKey(), "phone", laptopKeys.deviceId()); // as pairing records it
    devices.bindSite(phoneKeys.deviceId(), phone.siteId());
    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    serverSite[0] = 9;
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  @Test
  void thePairersSealedChangesThroughTheServerAreAcceptedAndTheDeviceListFollows() throws Exception {
    SealedChanges relayed = sealedForServer(laptop, laptopKeys, null);
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());

    List<Change> accepted = phoneOptions.sealer.verify("server", serverSite, relayed.changes(), relayed.seals());

    assertThat(accepted).as("every change the laptop sealed, none held for a device list the phone lacks")
        .hasSameSizeAs(relayed.changes());
    phone.merge(accepted);
    assertThat(rows(phone)).containsExactly("l1|milk");
    assertThat(Devices.open(phone).isAuthorized(phoneKeys.deviceId(), alice)).isTrue();
  }

  @Test
  void anotherDevicesChangesWaitForTheListThePairersChangesBring() throws Exception {
    Devices.open(laptop).add(alice, tabletKeys.publicKey(), "tablet", laptopKeys.deviceId());
    Cfost tablet = replica("tablet.db");
    Devices.open(laptop).bindSite(tabletKeys.deviceId(), tablet.siteId());
    sql(tablet, "INSERT INTO todo VALUES ('t1', 'tea')");
    SealedChanges fromTablet = sealedForServer(tablet, tabletKeys, laptopKeys.deviceId());
    PeerOptions laptopOptions = serverOptions(laptop, laptopKeys, null);
    laptop.merge(laptopOptions.sealer.verify("server", serverSite, fromTablet.changes(), fromTablet.seals()));
    SealedChanges relayed = sealedForServer(laptop, laptopKeys, null); // each change with its maker's seal
    assertThat(relayed.seals()).extracting(Seal::deviceId)
        .contains(laptopKeys.deviceId().toString(), tabletKeys.deviceId().toString());
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());

    phone.merge(phoneOptions.sealer.verify("server", serverSite, relayed.changes(), relayed.seals()));
    assertThat(rows(phone)).as("the tablet's row waits: the phone learns the tablet from the laptop's rows")
        .containsExactly("l1|milk");
    List<Change> released = phoneOptions.sealer.releasable();
    phone.merge(released);
    phoneOptions.sealer.released(released);

    assertThat(rows(phone)).containsExactly("l1|milk", "t1|tea");
  }

  @Test
  void aSealNamingThePairerThatItsKeyDidNotMakeIsRefused() throws Exception {
    SealedChanges relayed = sealedForServer(laptop, laptopKeys, null);
    DeviceKeys server = DeviceKeys.generate();
    List<Seal> forged = relayed.seals().stream().map(s -> new Seal(s.deviceId(),
        server.sign(ChangeSeals.signedBytes(laptop.databaseId(), s.digests())), s.digests())).toList();
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());

    assertThatThrownBy(() -> phoneOptions.sealer.verify("server", serverSite, relayed.changes(), forged))
        .isInstanceOf(SyncException.class).hasMessageContaining("bad_signature")
        .hasMessageContaining(laptopKeys.deviceId().toString());
    assertThat(rows(phone)).isEmpty();
  }

  @Test
  void aDeviceRowGivingThePairersIdAnotherKeyProvesNothing() throws Exception {
    // The server invents the laptop: a device row with the laptop's id and the server's key, and seals in
    // the laptop's name made with that key.
    DeviceKeys server = DeviceKeys.generate();
    Cfost fake = replica("fake.db");
    String mallory = Users.open(fake, new Argon2Params(1024, 1, 1))
        .register("alice", "alice@example.org", "another password".toCharArray());
    Devices.open(fake).add(mallory, server.publicKey(), "laptop", null);
    sql(fake, "INSERT INTO todo VALUES ('l1', 'poison')");
    SealedChanges made = sealedForServer(fake, server, null);
    byte[] laptopRow = PackedKey.pack(List.of(laptopKeys.deviceId().toString()));
    List<Change> renamed = made.changes().stream().map(c -> !c.table().equals("identity_devices") ? c
        : new Change(c.table(), laptopRow, c.cid(), c.val(), c.colVersion(), c.dbVersion(), c.siteId(), c.cl(), c.seq()))
        .toList();
    assertThat(renamed).anyMatch(c -> c.cid().equals("public_key") && Arrays.equals(c.pk(), laptopRow));
    List<byte[]> digests = renamed.stream().map(ChangeSeals::digest).toList();
    List<Seal> claimed = List.of(new Seal(laptopKeys.deviceId().toString(),
        server.sign(ChangeSeals.signedBytes(phone.databaseId(), digests)), digests));
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());

    List<Change> accepted = phoneOptions.sealer.verify("server", serverSite, renamed, claimed);

    assertThat(accepted).as("no key in the batch hashes to the laptop's id: nothing is taken on its seal").isEmpty();
    phone.merge(accepted);
    assertThat(rows(phone)).isEmpty();
  }

  @Test
  void onceTheDeviceKnowsItsListThePairerIsCheckedLikeAnyDevice() throws Exception {
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());
    SealedChanges first = sealedForServer(laptop, laptopKeys, null);
    phone.merge(phoneOptions.sealer.verify("server", serverSite, first.changes(), first.seals()));
    Devices.open(phone).revoke(laptopKeys.deviceId()); // the laptop was stolen: revoked from the phone
    sql(laptop, "INSERT INTO todo VALUES ('l2', 'after')");
    SealedChanges later = sealedForServer(laptop, laptopKeys, null);

    assertThatThrownBy(() -> phoneOptions.sealer.verify("server", serverSite, later.changes(), later.seals()))
        .isInstanceOf(SyncException.class).hasMessageContaining("unauthorized");
  }

  /** Found by review: on the LAN a pairer the list names revoked is refused; through the server too. */
  @Test
  void aRevokedPairerIsNotTakenOnItsSealsWhileThePhoneLacksItsOwnRow() throws Exception {
    PeerOptions phoneOptions = serverOptions(phone, phoneKeys, laptopKeys.deviceId());
    SealedChanges first = sealedForServer(laptop, laptopKeys, null);
    byte[] phoneRow = PackedKey.pack(List.of(phoneKeys.deviceId().toString()));
    List<Change> withheld = first.changes().stream().filter(c -> !Arrays.equals(c.pk(), phoneRow)).toList();
    phone.merge(phoneOptions.sealer.verify("server", serverSite, withheld, first.seals())); // the server withholds the phone's row
    Devices.open(phone).revoke(laptopKeys.deviceId()); // the laptop is stolen
    sql(laptop, "INSERT INTO todo VALUES ('evil', 'from the thief')");
    SealedChanges later = sealedForServer(laptop, laptopKeys, null);

    assertThatThrownBy(() -> phoneOptions.sealer.verify("server", serverSite, later.changes(), later.seals()))
        .isInstanceOf(SyncException.class).hasMessageContaining("unauthorized");
    assertThat(rows(phone)).doesNotContain("evil|from the thief");
  }

  /**
   * Found by review: a pairer added by another device has its row sealed by that device, which the phone
   * cannot tell from one a server made up; nothing is taken on the pairer's seals (before, the phone took its
   * own row and then held the first device's rows forever). Everything waits, held, for a LAN sync.
   */
  @Test
  void aPairerThatIsNotTheFirstDeviceStartsNothingThroughTheServer() throws Exception {
    BobsTabletPairedThePhone bob = bobsTabletPairsThePhone();
    PeerOptions phoneOptions = SyncTrust.forUser(phone, phoneKeys, bob.user, bob.tablet)
        .applyToServer(PeerOptions.builder().transport(Transports.disabled())).build();

    List<Change> accepted = phoneOptions.sealer.verify("server", serverSite, bob.changes, bob.seals);

    assertThat(accepted).as("nothing on the tablet's seals, nothing of devices the phone cannot place").isEmpty();
    assertThat(Devices.open(phone).isAuthorized(phoneKeys.deviceId(), bob.user)).isFalse();
  }

  /**
   * The same phone, anchored on the first device the tablet's pairing code named: the desktop's self-sealed
   * row starts the list, from which the tablet's row and then the phone's own are checked like any device's.
   */
  @Test
  void aDevicePairedByALaterDeviceStartsThroughTheServerFromTheFirstDeviceItsCodeNamed() throws Exception {
    BobsTabletPairedThePhone bob = bobsTabletPairsThePhone();
    PeerOptions phoneOptions = SyncTrust.forUser(phone, phoneKeys, bob.user, bob.tablet, bob.desktop)
        .applyToServer(PeerOptions.builder().transport(Transports.disabled())).build();

    phone.merge(phoneOptions.sealer.verify("server", serverSite, bob.changes, bob.seals));
    assertThat(Devices.open(phone).isAuthorized(bob.tablet, bob.user)).as("the desktop's rows, on its seals").isTrue();
    assertThat(rows(phone)).as("the tablet's changes wait for the list to name the tablet").isEmpty();
    List<Change> released = phoneOptions.sealer.releasable(); // as a session does after each merge
    phone.merge(released);
    phoneOptions.sealer.released(released);

    assertThat(Devices.open(phone).isAuthorized(phoneKeys.deviceId(), bob.user)).isTrue();
    assertThat(Devices.open(phone).isAuthorized(bob.tablet, bob.user)).isTrue();
    assertThat(rows(phone)).containsExactly("t1|tea");
  }

  /**
   * An anchor whose key is in no row of the batch (as when a server replaced the first device's row with
   * one of its own key: that row's key does not hash to the id the code named) starts nothing.
   */
  @Test
  void aFirstDeviceRowWithAnotherKeyThanTheCodeNamedStartsNothing() throws Exception {
    BobsTabletPairedThePhone bob = bobsTabletPairsThePhone();
    DeviceId madeUp = DeviceKeys.generate().deviceId();
    PeerOptions phoneOptions = SyncTrust.forUser(phone, phoneKeys, bob.user, bob.tablet, madeUp)
        .applyToServer(PeerOptions.builder().transport(Transports.disabled())).build();

    List<Change> accepted = phoneOptions.sealer.verify("server", serverSite, bob.changes, bob.seals);

    assertThat(accepted).isEmpty();
    assertThat(Devices.open(phone).isAuthorized(phoneKeys.deviceId(), bob.user)).isFalse();
  }

  private record BobsTabletPairedThePhone(String user, DeviceId desktop, DeviceId tablet, List<Change> changes,
      List<Seal> seals) {}

  /** Bob's desktop (his first device) paired his tablet, which paired the phone: what a server relays. */
  private BobsTabletPairedThePhone bobsTabletPairsThePhone() throws Exception {
    DeviceKeys desktopKeys = DeviceKeys.generate();
    Cfost desktop = replica("desktop.db");
    String bob = Users.open(desktop, new Argon2Params(1024, 1, 1)).register("bob", "bob@example.org", "correct horse".toCharArray());
    Devices d = Devices.open(desktop);
    d.add(bob, desktopKeys.publicKey(), "desktop", null);
    d.bindSite(desktopKeys.deviceId(), desktop.siteId());
    DeviceKeys tabletKeys2 = DeviceKeys.generate();
    Cfost tablet = replica("tablet2.db");
    d.add(bob, tabletKeys2.publicKey(), "tablet", desktopKeys.deviceId());
    d.bindSite(tabletKeys2.deviceId(), tablet.siteId());
    SealedChanges fromDesktop = sealedFor(desktop, desktopKeys, bob, tablet);
    Users.open(tablet, new Argon2Params(1024, 1, 1)); // the identity tables, as joining makes them
    Devices.open(tablet);
    tablet.merge(fromDesktop.changes()); // the tablet got the list from the desktop on the LAN
    Devices t = Devices.open(tablet);
    t.add(bob, phoneKeys.publicKey(), "phone", tabletKeys2.deviceId()); // the tablet pairs the phone
    t.bindSite(phoneKeys.deviceId(), phone.siteId());
    sql(tablet, "INSERT INTO todo VALUES ('t1', 'tea')");
    SealedChanges fromTablet = sealedFor(tablet, tabletKeys2, bob, phone);
    List<Change> all = new ArrayList<>(fromDesktop.changes());
    all.addAll(fromTablet.changes().stream().filter(c -> Arrays.equals(c.siteId(), tablet.siteId())).toList());
    List<Seal> seals = new ArrayList<>(fromDesktop.seals());
    seals.addAll(fromTablet.seals());
    return new BobsTabletPairedThePhone(bob, desktopKeys.deviceId(), tabletKeys2.deviceId(), all, seals);
  }

  private SealedChanges sealedFor(Cfost db, DeviceKeys keys, String user, Cfost to) throws Exception {
    db.capture();
    List<Change> all = db.changes(to.peerCursor(db.siteId()), 100_000).changes();
    return SyncTrust.forUser(db, keys, user, null).applyToServer(PeerOptions.builder().transport(Transports.disabled()))
        .build().sealer.seal(all);
  }

  private PeerOptions serverOptions(Cfost db, DeviceKeys keys, DeviceId pairedWith) throws Exception {
    return SyncTrust.forUser(db, keys, alice, pairedWith)
        .applyToServer(PeerOptions.builder().transport(Transports.disabled())).build();
  }

  /** Everything {@code db} has, sealed as it would send it to a server. */
  private SealedChanges sealedForServer(Cfost db, DeviceKeys keys, DeviceId pairedWith) throws Exception {
    db.capture();
    List<Change> all = db.changes(phone.peerCursor(db.siteId()), 100_000).changes();
    return serverOptions(db, keys, pairedWith).sealer.seal(all);
  }

  private Cfost replica(String name) {
    Cfost db = Cfost.open(dir.resolve(name));
    open.add(db);
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
    db.replicate("todo");
    return db;
  }

  private static void sql(Cfost db, String statement) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (Exception e) {
      throw new AssertionError(statement, e);
    }
  }

  private static List<String> rows(Cfost db) {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT id, title FROM todo ORDER BY id")) {
      while (r.next()) {
        out.add(r.getString(1) + "|" + r.getString(2));
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
