package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Seal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kept seals go through a pending log; what a lookup finds is as if each cover had been indexed at once. */
class SealStoreTest {
  @TempDir Path dir;
  private final Random random = new Random(7);

  @Test
  void aDigestKeepsItsFirstSealUntilItsOriginsArrivesWhereverTheLogWasFolded() throws SQLException {
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("a.db")).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      byte[] d = digest();
      byte[] e = digest();
      Seal first = seal(d, e);
      Seal second = seal(d, e);
      Seal origin = seal(d);
      Seal later = seal(d, e);
      new Db(db).write(c -> {
        SealStore.save(c, List.of(new SealStore.Cover(e, first, false), new SealStore.Cover(d, first, false)));
        SealStore.save(c, List.of(new SealStore.Cover(d, second, false), new SealStore.Cover(e, second, false)));
        return null;
      });
      assertThat(signers(db, d, e)).containsExactly(hex(first), hex(first));

      new Db(db).write(c -> { // origin, then a later non-origin, both pending in one fold
        SealStore.save(c, List.of(new SealStore.Cover(d, origin, true)));
        SealStore.save(c, List.of(new SealStore.Cover(d, later, false), new SealStore.Cover(e, later, false)));
        return null;
      });
      assertThat(signers(db, d, e)).containsExactly(hex(origin), hex(first));
    }
  }

  @Test
  void thePendingLogIsFoldedOnceItHoldsEnoughCovers() throws SQLException {
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("b.db")).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      List<SealStore.Cover> covers = new ArrayList<>();
      Seal s = seal(digest());
      for (int i = 0; i < SealStore.FOLD_AT; i++) {
        covers.add(new SealStore.Cover(digest(), s, false));
      }
      new Db(db).write(c -> {
        SealStore.save(c, covers.subList(0, covers.size() - 1));
        assertThat(count(c, "identity_seal_keys")).isZero();
        SealStore.save(c, covers.subList(covers.size() - 1, covers.size()));
        assertThat(count(c, "identity_seal_keys")).isEqualTo(SealStore.FOLD_AT);
        assertThat(count(c, "identity_sealed_pending")).isZero();
        return null;
      });
    }
  }

  @Test
  void manyCoversFoldedAtAnyPointFindWhatSavingThemOneByOneWouldKeep() throws SQLException {
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("c.db")).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      List<byte[]> digests = new ArrayList<>();
      for (int i = 0; i < 3_000; i++) {
        digests.add(digest());
      }
      List<Seal> seals = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        seals.add(seal(digests.toArray(byte[][]::new))); // each covers every digest, so each may be found
      }
      Map<DigestKey, Seal> model = new HashMap<>();
      for (int call = 0; call < 40; call++) {
        List<SealStore.Cover> covers = new ArrayList<>();
        int n = 1 + random.nextInt(400);
        Seal seal = seals.get(random.nextInt(seals.size()));
        for (int i = 0; i < n; i++) {
          byte[] d = digests.get(random.nextInt(digests.size())); // repeats within a call and across calls
          boolean byOrigin = random.nextInt(5) == 0;
          covers.add(new SealStore.Cover(d, seal, byOrigin));
          if (byOrigin) {
            model.put(DigestKey.of(d), seal);
          } else {
            model.putIfAbsent(DigestKey.of(d), seal);
          }
        }
        boolean foldNow = random.nextInt(8) == 0;
        new Db(db).write(c -> {
          SealStore.save(c, covers);
          if (foldNow) {
            SealStore.fold(c);
          }
          return null;
        });
      }
      Map<DigestKey, Seal> found = new Db(db).write(c -> SealStore.find(c, digests));
      assertThat(found).hasSize(model.size());
      model.forEach((d, seal) -> assertThat(hex(found.get(d))).as("the seal of %s", d).isEqualTo(hex(seal)));
    }
  }

  @Test
  void aDigestSharingItsKeyWithAnotherNeverFindsTheOthersSeal() throws SQLException {
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("d.db")).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      byte[] d = digest();
      byte[] twin = digest();
      Seal ofD = seal(d);
      new Db(db).write(c -> {
        SealStore.save(c, List.of(new SealStore.Cover(d, ofD, true)));
        SealStore.fold(c);
        // A collision of keys, as one in 2^64 pairs of digests would make: twin's key finds d's seal.
        try (var ps = c.prepareStatement("INSERT INTO identity_seal_keys(key, seal_id)"
            + " SELECT ?, seal_id FROM identity_seal_keys WHERE key = ?")) {
          ps.setLong(1, SealKeys.of(c).of(twin));
          ps.setLong(2, SealKeys.of(c).of(d));
          assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        return null;
      });
      assertThat(signers(db, d, twin)).containsExactly(hex(ofD), "none");
    }
  }

  @Test
  void theKeysAreTheFilesOwnAndStayAcrossOpens() throws SQLException {
    byte[] d = digest();
    Seal s = seal(d);
    long[] keys = new long[3];
    for (int i = 0; i < 3; i++) {
      Path file = dir.resolve(i < 2 ? "f.db" : "g.db");
      try (Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build())) {
        IdentitySchema.seals(dbWithDevices(db));
        if (i == 0) {
          new Db(db).write(c -> {
            SealStore.save(c, List.of(new SealStore.Cover(d, s, true)));
            SealStore.fold(c);
            return null;
          });
        }
        keys[i] = new Db(db).read(c -> SealKeys.of(c).of(d));
        if (i == 1) {
          assertThat(signers(db, d)).containsExactly(hex(s)); // the index still answers after a reopen
        }
      }
    }
    assertThat(keys[1]).isEqualTo(keys[0]);
    assertThat(keys[2]).as("another file's key for the same digest").isNotEqualTo(keys[0]);
  }

  @Test
  void anIndexByWholeDigestFromAnEarlierVersionIsMovedWhenTheDatabaseOpens() throws SQLException {
    Path file = dir.resolve("e.db");
    byte[] d = digest();
    byte[] e = digest();
    Seal s = seal(d, e);
    try (Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      Seal stale = seal(d);
      new Db(db).write(c -> { // a row this version indexed, then the earlier layout written by that version
        SealStore.save(c, List.of(new SealStore.Cover(d, stale, false)));
        SealStore.fold(c);
        long id = SealStore.saveSeal(c, s);
        Db.exec(c, "CREATE TABLE identity_sealed(digest BLOB PRIMARY KEY NOT NULL, seal_id INTEGER NOT NULL) WITHOUT ROWID");
        for (byte[] digest : List.of(d, e)) {
          try (var ps = c.prepareStatement("INSERT INTO identity_sealed(digest, seal_id) VALUES (?, ?)")) {
            ps.setBytes(1, digest);
            ps.setLong(2, id);
            ps.executeUpdate();
          }
        }
        return null;
      });
    }
    try (Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      assertThat(signers(db, d, e, digest())).containsExactly(hex(s), hex(s), "none");
      long left = new Db(db).read(c -> count(c, "identity_sealed"));
      assertThat(left).isZero();
    }
  }

  @Test
  void anIndexOfTheEarlierLayoutLargerThanAFoldIsMovedWhole() throws SQLException {
    Path file = dir.resolve("h.db");
    int rows = SealStore.FOLD_AT + 10;
    try (Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      new Db(db).write(c -> {
        Db.exec(c, "CREATE TABLE identity_sealed(digest BLOB PRIMARY KEY NOT NULL, seal_id INTEGER NOT NULL) WITHOUT ROWID");
        Db.exec(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows + ")"
            + " INSERT INTO identity_sealed(digest, seal_id) SELECT randomblob(32), i FROM n");
        return null;
      });
    }
    try (Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build())) {
      IdentitySchema.seals(dbWithDevices(db));
      long moved = new Db(db).read(c -> count(c, "identity_seal_keys"));
      long distinctSeals = new Db(db).read(c -> count(c, "(SELECT DISTINCT seal_id FROM identity_seal_keys)"));
      assertThat(moved).isEqualTo(rows);
      assertThat(distinctSeals).isEqualTo(rows);
    }
  }

  private static Cfost dbWithDevices(Cfost db) {
    IdentitySchema.users(db);
    IdentitySchema.devices(db);
    return db;
  }

  /** The signature (hex) of the seal found for each digest, in order. */
  private static List<String> signers(Cfost db, byte[]... digests) {
    Map<DigestKey, Seal> found = new Db(db).write(c -> SealStore.find(c, List.of(digests)));
    List<String> out = new ArrayList<>();
    for (byte[] d : digests) {
      out.add(hex(found.get(DigestKey.of(d))));
    }
    return out;
  }

  private static String hex(Seal s) {
    return s == null ? "none" : dev.cfost.Values.hex(s.signature());
  }

  private static long count(Connection c, String table) throws SQLException {
    try (var ps = c.prepareStatement("SELECT count(*) FROM " + table); var rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private byte[] digest() {
    byte[] d = new byte[ChangeDigest.BYTES];
    random.nextBytes(d);
    return d;
  }

  private Seal seal(byte[]... digests) {
    byte[] signature = new byte[64];
    random.nextBytes(signature);
    return new Seal("DEVICE" + random.nextInt(1000), signature, List.of(digests));
  }
}
