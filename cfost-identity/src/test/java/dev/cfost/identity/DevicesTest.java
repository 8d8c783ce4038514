package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Cfost;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevicesTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  Cfost db;
  Devices devices;
  DeviceKeys laptop;
  String alice;

  @BeforeEach
  void open() {
    db = Fixtures.open(dir.resolve("a.db"));
    devices = Devices.open(db, now::get);
    laptop = DeviceKeys.generate();
    alice = Users.open(db, Fixtures.CHEAP).register("alice", "alice@example.org", Fixtures.pw("correct horse"));
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void anAddedDeviceIsListedAndAuthorized() {
    Device d = devices.add(alice, laptop.publicKey(), "laptop", null);

    assertThat(d.id()).isEqualTo(laptop.deviceId());
    assertThat(d.userId()).isEqualTo(alice);
    assertThat(d.publicKey()).isEqualTo(laptop.publicKey());
    assertThat(d.name()).isEqualTo("laptop");
    assertThat(d.addedAt()).isEqualTo(Instant.ofEpochMilli(now.get()));
    assertThat(d.authorizedBy()).isEmpty();
    assertThat(devices.list(alice)).extracting(Device::id).containsExactly(laptop.deviceId());
    assertThat(devices.isAuthorized(laptop.deviceId(), alice)).isTrue();
    assertThat(db.replicatedTables()).contains("identity_devices");
  }

  @Test
  void aRenamedDeviceKeepsItsIdAndAuthorization() {
    devices.add(alice, laptop.publicKey(), "laptop", null);

    devices.rename(laptop.deviceId(), "work laptop");

    assertThat(devices.find(laptop.deviceId()).orElseThrow().name()).isEqualTo("work laptop");
    assertThat(devices.isAuthorized(laptop.deviceId(), alice)).isTrue();
    assertThatThrownBy(() -> devices.rename(laptop.deviceId(), "bad\nname"))
        .isInstanceOf(IdentityException.class).hasMessageContaining("not valid");
  }

  @Test
  void aRevokedDeviceIsNotAuthorized() {
    devices.add(alice, laptop.publicKey(), "laptop", null);
    now.addAndGet(1000);

    devices.revoke(laptop.deviceId());

    assertThat(devices.isAuthorized(laptop.deviceId(), alice)).isFalse();
    Device d = devices.find(laptop.deviceId()).orElseThrow();
    assertThat(d.isRevoked()).isTrue();
    assertThat(d.revokedAt()).contains(Instant.ofEpochMilli(now.get()));
    assertThat(devices.list(alice)).hasSize(1); // still listed, as revoked
  }

  @Test
  void aRevokedKeyCannotBeAddedAgain() {
    devices.add(alice, laptop.publicKey(), "laptop", null);
    devices.revoke(laptop.deviceId());

    assertThatThrownBy(() -> devices.add(alice, laptop.publicKey(), "laptop again", null))
        .isInstanceOf(IdentityException.class).hasMessageContaining("was revoked");
    assertThat(devices.isAuthorized(laptop.deviceId(), alice)).isFalse();
  }

  @Test
  void anotherUsersDeviceIsNotAuthorized() {
    String bob = Users.open(db, Fixtures.CHEAP).register("bob", "bob@example.org", Fixtures.pw("correct horse"));
    DeviceKeys bobsPhone = DeviceKeys.generate();
    devices.add(bob, bobsPhone.publicKey(), "phone", null);

    assertThat(devices.isAuthorized(bobsPhone.deviceId(), alice)).isFalse();
    assertThat(devices.isAuthorized(bobsPhone.deviceId(), bob)).isTrue();
    assertThatThrownBy(() -> devices.add(alice, bobsPhone.publicKey(), "mine now", null))
        .isInstanceOf(IdentityException.class).hasMessageContaining("already registered to user '" + bob + "'");
  }

  @Test
  void anUnknownDeviceOrUserIsNotAuthorized() {
    devices.add(alice, laptop.publicKey(), "laptop", null);

    assertThat(devices.isAuthorized(DeviceKeys.generate().deviceId(), alice)).isFalse();
    assertThat(devices.isAuthorized(laptop.deviceId(), "no-such-user")).isFalse();
    assertThat(devices.isAuthorized(null, alice)).isFalse();
    assertThatThrownBy(() -> devices.add("no-such-user", DeviceKeys.generate().publicKey(), "x", null))
        .isInstanceOf(IdentityException.class).hasMessage("no user with id 'no-such-user'");
  }

  @Test
  void aRowWhoseKeyWasSwappedDoesNotAuthorize() throws Exception {
    devices.add(alice, laptop.publicKey(), "laptop", null);
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("UPDATE identity_devices SET public_key = ? WHERE device_id = ?")) {
      ps.setBytes(1, DeviceKeys.generate().publicKey());
      ps.setString(2, laptop.deviceId().toString());
      ps.executeUpdate();
    }

    assertThat(devices.isAuthorized(laptop.deviceId(), alice)).isFalse();
  }

  @Test
  void aRevocationReachesAnotherReplicaLikeAnyRow() {
    devices.add(alice, laptop.publicKey(), "laptop", null);
    try (Cfost other = Fixtures.open(dir.resolve("b.db"))) {
      Devices there = Devices.open(other, now::get);
      Fixtures.pull(other, db);
      assertThat(there.isAuthorized(laptop.deviceId(), alice)).isTrue();

      devices.revoke(laptop.deviceId());
      Fixtures.pull(other, db);

      assertThat(there.isAuthorized(laptop.deviceId(), alice)).isFalse();
      assertThat(there.find(laptop.deviceId()).orElseThrow().isRevoked()).isTrue();
    }
  }

  @Test
  void aDeviceIsBoundToOneSiteAndASiteToOneDevice() {
    devices.add(alice, laptop.publicKey(), "laptop", null);
    DeviceKeys phone = DeviceKeys.generate();
    devices.add(alice, phone.publicKey(), "phone", null);
    byte[] site = PairingTest.site();

    devices.bindSite(laptop.deviceId(), site);
    devices.bindSite(laptop.deviceId(), site); // binding the same site again changes nothing

    assertThat(devices.find(laptop.deviceId()).orElseThrow().siteId()).hasValueSatisfying(s -> assertThat(s).isEqualTo(site));
    assertThatThrownBy(() -> devices.bindSite(laptop.deviceId(), PairingTest.site()))
        .isInstanceOf(IdentityException.class).hasMessageContaining("is bound to site");
    assertThatThrownBy(() -> devices.bindSite(phone.deviceId(), site))
        .isInstanceOf(IdentityException.class).hasMessageContaining("belongs to device " + laptop.deviceId());
    assertThat(devices.find(phone.deviceId()).orElseThrow().siteId()).isEmpty();
  }

  @Test
  void aDatabaseMadeBeforeSitesWereBoundGetsTheColumnThroughTheEngine() throws Exception {
    db.close();
    try (Cfost old = Fixtures.open(dir.resolve("old.db"))) {
      try (Connection c = old.connect()) {
        c.createStatement().execute("CREATE TABLE identity_devices(device_id TEXT PRIMARY KEY NOT NULL,"
            + " user_id TEXT, public_key BLOB, name TEXT, added_at INTEGER, revoked_at INTEGER, authorized_by TEXT)");
      }
      old.replicate("identity_devices");

      Devices.open(old);

      try (Connection c = old.connect();
          var rs = c.createStatement().executeQuery("SELECT 1 FROM pragma_table_info('identity_devices')"
              + " WHERE name = 'site_id'")) {
        assertThat(rs.next()).isTrue();
      }
    }
    db = Fixtures.open(dir.resolve("a.db"));
  }
}
