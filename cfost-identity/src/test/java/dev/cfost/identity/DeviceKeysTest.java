package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Cfost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceKeysTest {
  @TempDir Path dir;

  @Test
  void theKeyFileSitsBesideTheDatabaseAndOnlyItsOwnerMayReadOrWriteIt() throws Exception {
    Path file;
    DeviceId id;
    try (Cfost db = Fixtures.open(dir.resolve("app.db"))) {
      id = DeviceKeys.forDatabase(db).deviceId();
      file = DeviceKeys.keyFileOf(db.path());
    }

    assertThat(file).isEqualTo(dir.resolve("app.db.device.key").toAbsolutePath());
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    try (var files = Files.list(dir)) {
      assertThat(files.filter(f -> f.getFileName().toString().endsWith(".tmp"))).isEmpty();
    }
    assertThat(id).isNotNull();
  }

  @Test
  void theKeyIsMadeOnceAndTheSameIdComesBackOnReopening() throws Exception {
    DeviceId first;
    try (Cfost db = Fixtures.open(dir.resolve("app.db"))) {
      first = DeviceKeys.forDatabase(db).deviceId();
    }
    byte[] before = Files.readAllBytes(dir.resolve("app.db.device.key"));
    try (Cfost db = Fixtures.open(dir.resolve("app.db"))) {
      assertThat(DeviceKeys.forDatabase(db).deviceId()).isEqualTo(first);
    }
    assertThat(Files.readAllBytes(dir.resolve("app.db.device.key"))).isEqualTo(before);
  }

  @Test
  void theKeyFileIsPlainPkcs8ThatTheJdkReads() throws Exception {
    Path file = dir.resolve("k.key");
    DeviceKeys keys = DeviceKeys.loadOrCreate(file);

    var key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(file)));
    assertThat(key).isInstanceOf(EdECPrivateKey.class);
    assertThat(DeviceKeys.loadOrCreate(file).publicKey()).isEqualTo(keys.publicKey());
  }

  @Test
  void aKeyFileOthersMayReadIsRefused() throws Exception {
    Path file = dir.resolve("k.key");
    DeviceKeys.loadOrCreate(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> DeviceKeys.loadOrCreate(file))
        .isInstanceOf(IdentityException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("rw-r--r--")
        .hasMessageContaining("chmod 600");
  }

  @Test
  void aKeyFileThatHoldsNoKeyIsRefusedNotReplaced() throws Exception {
    Path file = dir.resolve("k.key");
    Files.write(file, "not a key".getBytes(StandardCharsets.UTF_8));
    Files.setPosixFilePermissions(file, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

    assertThatThrownBy(() -> DeviceKeys.loadOrCreate(file))
        .isInstanceOf(IdentityException.class)
        .hasMessageContaining("does not hold a PKCS#8 Ed25519 key");
    assertThat(Files.readString(file)).isEqualTo("not a key");
  }

  @Test
  void signaturesVerifyUnderTheDevicesKeyOnly() {
    DeviceKeys keys = DeviceKeys.generate();
    byte[] data = "batch 17".getBytes(StandardCharsets.UTF_8);
    byte[] sig = keys.sign(data);

    assertThat(sig).hasSize(64);
    assertThat(DeviceKeys.verify(keys.publicKey(), data, sig)).isTrue();
    assertThat(DeviceKeys.verify(DeviceKeys.generate().publicKey(), data, sig)).isFalse();
    assertThat(DeviceKeys.verify(keys.publicKey(), "batch 18".getBytes(StandardCharsets.UTF_8), sig)).isFalse();
  }

  @Test
  void toStringShowsTheIdAndNothingSecret() {
    DeviceKeys keys = DeviceKeys.generate();
    assertThat(keys.toString()).isEqualTo("DeviceKeys[" + keys.deviceId() + "]");
  }
}
