package dev.cfost.identity.internal;

import dev.cfost.SealedChanges;
import dev.cfost.Seal;
import static dev.cfost.identity.SealRefusedException.BAD_SIGNATURE;
import static dev.cfost.identity.SealRefusedException.SITE_MISMATCH;
import static dev.cfost.identity.SealRefusedException.UNAUTHORIZED;
import static dev.cfost.identity.SealRefusedException.UNSIGNED_CHANGE;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Values;
import dev.cfost.WallClock;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.SealRefusedException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ChangeSeals} over the device list and the local seal tables. Thread-safe, immutable. */
public final class SqlChangeSeals implements ChangeSeals {
  private static final Logger log = LoggerFactory.getLogger(SqlChangeSeals.class);
  private static final byte[] DOMAIN = "cfost-seal-v1\0".getBytes(StandardCharsets.US_ASCII);

  private final Cfost cfost;
  private final Db db;
  private final DeviceKeys keys;
  private final String userId;
  private final byte[] ownSite;

  private SqlChangeSeals(Cfost cfost, DeviceKeys keys, String userId) {
    this.cfost = cfost;
    this.db = new Db(cfost);
    this.keys = keys;
    this.userId = userId;
    this.ownSite = cfost.siteId();
  }

  public static ChangeSeals open(Cfost db, DeviceKeys keys, String userId) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(userId, "userId");
    Devices devices = SqlDevices.open(db, WallClock.system());
    IdentitySchema.seals(db);
    devices.find(keys.deviceId()).filter(d -> d.siteId().isEmpty())
        .ifPresent(d -> devices.bindSite(d.id(), db.siteId()));
    return new SqlChangeSeals(db, keys, userId);
  }

  @Override
  public SealedChanges seal(List<Change> outgoing) {
    List<byte[]> digests = new ArrayList<>(outgoing.size());
    List<byte[]> foreign = new ArrayList<>();
    for (Change c : outgoing) {
      byte[] d = ChangeDigest.of(c);
      digests.add(d);
      if (!Arrays.equals(c.siteId(), ownSite)) {
        foreign.add(d);
      }
    }
    record Lookup(SiteDirectory sites, Map<ByteBuffer, Seal> stored) {}
    Lookup found = db.read(c -> new Lookup(SiteDirectory.load(c, userId),
        foreign.isEmpty() ? Map.of() : SealStore.find(c, foreign)));
    List<Change> kept = new ArrayList<>(outgoing.size());
    List<byte[]> mine = new ArrayList<>();
    Set<Seal> attached = new LinkedHashSet<>();
    int leftOut = 0;
    for (int i = 0; i < outgoing.size(); i++) {
      Change c = outgoing.get(i);
      byte[] d = digests.get(i);
      if (Arrays.equals(c.siteId(), ownSite)) {
        kept.add(c);
        mine.add(d);
        continue;
      }
      if (found.sites().isContested(c.siteId())) {
        leftOut++; // no device can prove it; a vouch would be refused too
        continue;
      }
      Optional<Device> owner = found.sites().owner(c.siteId());
      Seal stored = found.stored().get(ByteBuffer.wrap(d));
      boolean provable = stored != null && found.sites().device(stored.deviceId())
          .filter(signer -> found.sites().isAuthorized(signer) && owner.map(o -> o.id().equals(signer.id())).orElse(true))
          .isPresent();
      if (provable) {
        kept.add(c);
        attached.add(stored);
      } else if (owner.isEmpty()) {
        kept.add(c); // a site of no device: this device vouches for what it merged
        mine.add(d);
      } else {
        leftOut++;
      }
    }
    if (leftOut > 0) {
      log.info("left {} of {} changes out of a batch: made on a revoked device, or received without the seal of"
          + " the device that made them (before signing, or from a bundle)", leftOut, outgoing.size());
    }
    List<Seal> seals = new ArrayList<>(attached);
    if (!mine.isEmpty()) {
      seals.add(new Seal(keys.deviceId().toString(), keys.sign(signedBytes(cfost.databaseId(), mine)), mine));
    }
    return new SealedChanges(kept, seals);
  }

  @Override
  public void verify(List<Change> incoming, List<Seal> seals) {
    if (incoming.isEmpty()) {
      return;
    }
    String databaseId = cfost.databaseId();
    SiteDirectory sites = db.read(c -> SiteDirectory.load(c, userId));
    Map<ByteBuffer, List<Seal>> covering = new HashMap<>();
    for (int i = 0; i < seals.size(); i++) {
      Seal s = seals.get(i);
      Device signer = sites.device(s.deviceId()).filter(sites::isAuthorized).orElseThrow(() -> new SealRefusedException(
          UNAUTHORIZED, "seal by device " + s.deviceId() + ", which is not an authorized device of this user"
              + " (unknown, revoked or another user's)"));
      boolean wellFormed = s.digests().stream().allMatch(d -> d.length == ChangeDigest.BYTES);
      if (!wellFormed || !DeviceKeys.verify(signer.publicKey(), signedBytes(databaseId, s.digests()), s.signature())) {
        throw new SealRefusedException(BAD_SIGNATURE, "the seal by device " + s.deviceId() + " over "
            + s.digests().size() + " changes does not verify: forged, altered or malformed");
      }
      for (byte[] d : s.digests()) {
        covering.computeIfAbsent(ByteBuffer.wrap(d), k -> new ArrayList<>(1)).add(s);
      }
    }
    List<SealStore.Cover> covers = new ArrayList<>(incoming.size());
    for (Change c : incoming) {
      covers.add(cover(c, sites, covering));
    }
    db.write(c -> {
      SealStore.save(c, covers);
      return null;
    });
  }

  /** The seal that proves {@code c}, or the refusal that names it. */
  private static SealStore.Cover cover(Change c, SiteDirectory sites, Map<ByteBuffer, List<Seal>> covering) {
    if (sites.isContested(c.siteId())) {
      throw refusal(SITE_MISMATCH, c, "its site is claimed by more than one device");
    }
    Optional<Device> owner = sites.owner(c.siteId());
    if (owner.isPresent() && !sites.isAuthorized(owner.get())) {
      throw refusal(UNAUTHORIZED, c, "it was made on device " + owner.get().id()
          + ", which is not an authorized device of this user (revoked or another user's)");
    }
    byte[] digest = ChangeDigest.of(c);
    List<Seal> by = covering.getOrDefault(ByteBuffer.wrap(digest), List.of());
    if (by.isEmpty()) {
      throw refusal(UNSIGNED_CHANGE, c, "no seal of the batch covers it: unsigned, or altered after it was signed");
    }
    if (owner.isEmpty()) {
      return new SealStore.Cover(digest, by.get(0), false);
    }
    String origin = owner.get().id().toString();
    Seal mine = by.stream().filter(s -> s.deviceId().equals(origin)).findFirst().orElseThrow(() ->
        refusal(SITE_MISMATCH, c, "its site belongs to device " + origin + ", but it is sealed by "
            + by.get(0).deviceId()));
    return new SealStore.Cover(digest, mine, true);
  }

  @Override
  public void keep(List<Change> incoming, List<Seal> seals) {
    Map<ByteBuffer, Seal> bySeal = new HashMap<>();
    for (Seal s : seals) {
      s.digests().forEach(d -> bySeal.putIfAbsent(ByteBuffer.wrap(d), s));
    }
    List<SealStore.Cover> covers = new ArrayList<>();
    for (Change c : incoming) {
      byte[] digest = ChangeDigest.of(c);
      Seal s = bySeal.get(ByteBuffer.wrap(digest));
      if (s != null && s.digests().stream().allMatch(d -> d.length == ChangeDigest.BYTES)) {
        covers.add(new SealStore.Cover(digest, s, false));
      }
    }
    db.write(c -> {
      SealStore.save(c, covers);
      return null;
    });
  }

  private static SealRefusedException refusal(String code, Change c, String why) {
    return new SealRefusedException(code, "change to table '" + c.table() + "' key " + Values.hex(c.pk())
        + " column '" + c.cid() + "' of site " + Values.hex(c.siteId()) + " refused: " + why);
  }

  /** What a seal signs: a domain separator, the database id and the digests, each length-prefixed. */
  public static byte[] signedBytes(String databaseId, List<byte[]> digests) {
    byte[] id = databaseId.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(DOMAIN.length + 8 + id.length + digests.size() * 32);
    out.writeBytes(DOMAIN);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id.length).array());
    out.writeBytes(id);
    out.writeBytes(ByteBuffer.allocate(4).putInt(digests.size()).array());
    digests.forEach(out::writeBytes);
    return out.toByteArray();
  }
}
