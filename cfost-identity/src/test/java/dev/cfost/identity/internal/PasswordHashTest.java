package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.identity.Argon2Params;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  private static final Argon2Params CHEAP = new Argon2Params(1024, 1, 1);

  @Test
  void aHashIsAPhcStringWithItsParametersAndUnpaddedBase64() {
    String phc = PasswordHash.hash("correct horse".toCharArray(), new Argon2Params(2048, 2, 2));

    assertThat(phc).matches("\\$argon2id\\$v=19\\$m=2048,t=2,p=2\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    String[] parts = phc.split("\\$");
    assertThat(Base64.getDecoder().decode(parts[4])).hasSize(16);
    assertThat(Base64.getDecoder().decode(parts[5])).hasSize(32);
  }

  @Test
  void theRightPasswordVerifiesAndAWrongOneDoesNot() {
    String phc = PasswordHash.hash("correct horse".toCharArray(), CHEAP);

    assertThat(PasswordHash.verify("correct horse".toCharArray(), phc)).isTrue();
    assertThat(PasswordHash.verify("correct hors".toCharArray(), phc)).isFalse();
    assertThat(PasswordHash.verify("Correct horse".toCharArray(), phc)).isFalse();
  }

  @Test
  void twoHashesOfOnePasswordDifferBecauseOfTheSalt() {
    assertThat(PasswordHash.hash("correct horse".toCharArray(), CHEAP))
        .isNotEqualTo(PasswordHash.hash("correct horse".toCharArray(), CHEAP));
  }

  @Test
  void verifyingUsesTheParametersWrittenInTheHashNotTheCurrentOnes() {
    String old = PasswordHash.hash("correct horse".toCharArray(), new Argon2Params(512, 2, 1));

    assertThat(PasswordHash.parse(old).params()).isEqualTo(new Argon2Params(512, 2, 1));
    assertThat(PasswordHash.verify("correct horse".toCharArray(), old)).isTrue();
    assertThat(PasswordHash.needsRehash(old, CHEAP)).isTrue();
    assertThat(PasswordHash.needsRehash(old, new Argon2Params(512, 2, 1))).isFalse();
  }

  @Test
  void hashesWrittenByTheReferenceImplementationVerify() {
    // The reference implementation's test strings (P-H-C/phc-winner-argon2 test.c): "password", "somesalt".
    for (String phc : new String[] {
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"}) {
      assertThat(PasswordHash.verify("password".toCharArray(), phc)).as(phc).isTrue();
      assertThat(PasswordHash.verify("passwore".toCharArray(), phc)).as(phc).isFalse();
    }
  }

  @Test
  void malformedOrUnboundedHashesAreRefusedBeforeAnyMemoryIsSpent() {
    String salt = "c29tZXNhbHRzb21lc2FsdA";
    String tag = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assertThatThrownBy(() -> PasswordHash.parse("$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + tag))
        .hasMessageContaining("not an Argon2id v19 PHC string");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=16$m=1024,t=1,p=1$" + salt + "$" + tag))
        .hasMessageContaining("not an Argon2id v19 PHC string");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + tag))
        .hasMessageContaining("memory");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=9999999999,t=1,p=1$" + salt + "$" + tag))
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + tag))
        .hasMessageContaining("iterations");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + tag + "="))
        .hasMessageContaining("not an Argon2id v19 PHC string");
    assertThatThrownBy(() -> PasswordHash.parse(null)).hasMessageContaining("null");
  }

  /** Issue 10: the user table replicates, so a peer can store a hash that demands 4 GiB or 1000 passes. */
  @Test
  void aReplicatedHashDemandingMoreThan256MibTenPassesOrEightLanesIsRefused() {
    String salt = "c29tZXNhbHRzb21lc2FsdA";
    String tag = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + tag))
        .hasMessageContaining("memory").hasMessageContaining("262144");
    assertThatThrownBy(() -> PasswordHash.verify("x".toCharArray(), "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + tag))
        .hasMessageContaining("iterations must be 1 to 10");
    assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=1024,t=1,p=16$" + salt + "$" + tag))
        .hasMessageContaining("parallelism must be 1 to 8");
  }

  @Test
  void theDefaultParametersHashInAboutAThirdOfASecond() {
    char[] password = "correct horse battery staple".toCharArray();
    long start = System.nanoTime();
    String phc = PasswordHash.hash(password, Argon2Params.DEFAULT);
    long hashMillis = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    boolean ok = PasswordHash.verify(password, phc);
    long verifyMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("Argon2id m=65536 t=3 p=4: hash %d ms, verify %d ms%n", hashMillis, verifyMillis);

    assertThat(phc).startsWith("$argon2id$v=19$m=65536,t=3,p=4$");
    assertThat(ok).isTrue();
    // 64 MiB of memory filled 3 times cannot be fast: a much quicker hash means the parameters were not applied.
    assertThat(verifyMillis).isGreaterThan(20);
  }
}
