package dev.cfost.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secret files beside a database: owner-only, refused otherwise, as ssh refuses its keys. */
class TlsIdentityTest {
  @TempDir Path dir;

  @Test
  void aTlsIdentityFileThatOthersMayReadIsRefused() throws IOException {
    Path db = dir.resolve("a.db");
    TlsIdentity.forDatabase(db);
    Path file = TlsIdentity.fileFor(db);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> TlsIdentity.forDatabase(db)).isInstanceOf(IOException.class)
        .hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600");
  }

  @Test
  void aSyncKeyIsSavedOwnerOnlyReadBackAndRefusedWhenOthersMayReadIt() throws IOException {
    Path db = dir.resolve("a.db");
    assertThat(SyncKey.load(db)).isEmpty();
    SyncKey key = SyncKey.generate();
    key.save(db);
    assertThat(SyncKey.load(db)).contains(key);
    assertThat(key.toString()).doesNotContain(key.text());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(SyncKey.fileFor(db)))).isEqualTo("rw-------");
    Files.setPosixFilePermissions(SyncKey.fileFor(db), PosixFilePermissions.fromString("rw-rw----"));
    assertThatThrownBy(() -> SyncKey.load(db)).isInstanceOf(IOException.class).hasMessageContaining("chmod 600");
  }

  @Test
  void aShortOrMalformedSyncKeyIsRefused() {
    assertThatThrownBy(() -> SyncKey.parse("0123")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64 hex digits");
    SyncKey k = SyncKey.generate();
    assertThat(SyncKey.parse(k.text().toUpperCase())).isEqualTo(k);
  }

  @Test
  void twoHoldersOfTheSameKeyPresentTheSameCertificateKeyAndOthersDoNot() throws IOException {
    SyncKey k = SyncKey.generate();
    assertThat(TlsIdentity.forSyncKey(SyncKey.parse(k.text())).certificate().getPublicKey())
        .isEqualTo(TlsIdentity.forSyncKey(k).certificate().getPublicKey());
    assertThat(TlsIdentity.forSyncKey(SyncKey.generate()).certificate().getPublicKey())
        .isNotEqualTo(TlsIdentity.forSyncKey(k).certificate().getPublicKey());
  }
}
