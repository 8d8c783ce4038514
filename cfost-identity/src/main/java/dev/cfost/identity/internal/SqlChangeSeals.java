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
import dev.cfost.net.BatchSealer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ChangeSeals} over the device list and the local seal tables. Thread-safe; its mutable state is
 * the atomic hint of whether anything is held and the kept device list ({@link DeviceListCache}).
 */
public final class SqlChangeSeals implements ChangeSeals {
  private static final Logger log = LoggerFactory.getLogger(SqlChangeSeals.class);
  private static final byte[] DOMAIN = "cfost-seal-v1\0".getBytes(StandardCharsets.US_ASCII);
  private static final int SIGNATURE_BYTES = 64;
  /** Held changes released by one call at most, so that memory stays bounded. */
  private static final int RELEASE_LIMIT = 5_000;

  private final Cfost cfost;
  private final Db db;
  private final DeviceKeys keys;
  private final byte[] ownSite;
  private final WallClock clock = WallClock.system();
  /** Counts holds, so that {@link #releasable} knows without a query that nothing is held. */
  private final AtomicLong holds = new AtomicLong();
  /** The value of {@link #holds} when the held table was last seen empty. */
  private final AtomicLong emptyAsOf;
  private final DeviceListCache deviceList;

  private SqlChangeSeals(Cfost cfost, DeviceKeys keys, String userId, boolean nothingHeld) {
    this.cfost = cfost;
    this.db = new Db(cfost);
    this.keys = keys;
    this.ownSite = cfost.siteId();
    this.emptyAsOf = new AtomicLong(nothingHeld ? 0 : -1);
    this.deviceList = new DeviceListCache(userId);
  }

  public static ChangeSeals open(Cfost db, DeviceKeys keys, String userId) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(userId, "userId");
    Devices devices = SqlDevices.open(db, WallClock.system());
    IdentitySchema.seals(db);
    devices.find(keys.deviceId()).filter(d -> d.siteId().isEmpty())
        .ifPresent(d -> devices.bindSite(d.id(), db.siteId()));
    return new SqlChangeSeals(db, keys, userId, new Db(db).read(HeldChanges::isEmpty));
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
    record Lookup(SiteDirectory sites, Map<DigestKey, Seal> stored) {}
    // Finding kept seals folds their pending log into the index first, a write.
    Lookup found = foreign.isEmpty() ? db.read(c -> new Lookup(deviceList.current(c), Map.of()))
        : db.write(c -> new Lookup(deviceList.current(c), SealStore.find(c, foreign)));
    List<Change> kept = new ArrayList<>(outgoing.size());
    List<byte[]> mine = new ArrayList<>();
    Set<Seal> attached = new LinkedHashSet<>();
    int leftOut = 0;
    SiteDirectory.Site site = null;
    for (int i = 0; i < outgoing.size(); i++) {
      Change c = outgoing.get(i);
      byte[] d = digests.get(i);
      if (Arrays.equals(c.siteId(), ownSite)) {
        kept.add(c);
        mine.add(d);
        continue;
      }
      site = found.sites().site(c.siteId(), site);
      if (site.contested()) {
        leftOut++; // no device can prove it; a vouch would be refused too
        continue;
      }
      Device owner = site.owner();
      Seal stored = found.stored().get(DigestKey.of(d));
      Device signer = stored == null ? null : found.sites().deviceOrNull(stored.deviceId());
      boolean provable = signer != null && found.sites().isAuthorized(signer)
          && (owner == null || owner.id().equals(signer.id()));
      if (provable) {
        kept.add(c);
        attached.add(stored);
      } else if (owner == null) {
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
  public List<Change> verify(byte[] peerSiteId, List<Change> incoming, List<Seal> seals) {
    return check(peerSiteId, incoming, seals).keptNow();
  }

  @Override
  public BatchSealer.Checked check(byte[] peerSiteId, List<Change> incoming, List<Seal> seals) {
    if (incoming.isEmpty()) {
      return new BatchSealer.Checked(incoming, BatchSealer.Checked.NOTHING);
    }
    String databaseId = cfost.databaseId();
    SiteDirectory sites = db.read(deviceList::current);
    Covering covering = new Covering();
    Map<DigestKey, Seal> byUnknown = new HashMap<>();
    for (Seal s : seals) {
      if (!digestsWellFormed(s) || s.signature().length != SIGNATURE_BYTES) {
        throw new SealRefusedException(BAD_SIGNATURE, "the seal by device " + s.deviceId() + " over "
            + s.digests().size() + " changes is malformed");
      }
      Device signer = sites.deviceOrNull(s.deviceId());
      if (signer == null) {
        // Cannot be checked yet: its device's row may come later in the stream. What it covers is held.
        for (byte[] d : s.digests()) {
          byUnknown.putIfAbsent(DigestKey.of(d), s);
        }
        continue;
      }
      checkSignature(signer, s, sites, databaseId);
      covering.add(s);
    }
    List<SealStore.Cover> covers = new ArrayList<>(incoming.size());
    List<Change> now = new ArrayList<>(incoming.size());
    List<HeldChanges.Held> held = new ArrayList<>();
    SiteDirectory.Site site = null;
    for (Change c : incoming) {
      byte[] digest;
      try {
        digest = ChangeDigest.of(c);
      } catch (IllegalArgumentException e) {
        throw refusal(BAD_SIGNATURE, c, e.getMessage());
      }
      site = sites.site(c.siteId(), site);
      DigestKey key = DigestKey.of(digest);
      SealStore.Cover cover = cover(c, digest, key, site, covering, byUnknown.keySet());
      if (cover != null) {
        covers.add(cover);
        now.add(c);
      } else {
        held.add(new HeldChanges.Held(c, digest, byUnknown.get(key)));
      }
    }
    if (held.isEmpty()) {
      // Synced with the merge that follows: the sender is acknowledged only after it (Db.writeSyncedByNextCommit).
      return new BatchSealer.Checked(incoming, () -> db.writeSyncedByNextCommit(c -> {
        SealStore.save(c, covers);
        return null;
      }));
    }
    // Held changes are written now, with the seals: the hint that something is held (holds) must not count
    // them before they are there to be found, and their bound (checkLimit) refuses this very batch.
    db.writeSyncedByNextCommit(c -> {
      SealStore.save(c, covers);
      int expired = HeldChanges.expire(c, clock.millis());
      if (expired > 0) {
        log.warn("dropped {} held changes, never merged: their devices did not join the device list within {} days",
            expired, HeldChanges.EXPIRY_DAYS);
      }
      HeldChanges.hold(c, held, clock.millis(), peerSiteId);
      HeldChanges.checkLimit(c, peerSiteId);
      return null;
    });
    holds.incrementAndGet();
    log.info("held {} of {} received changes: sealed by device(s) {}, not in this replica's device list yet;"
        + " they are checked and merged once the device list names them", held.size(), incoming.size(),
        held.stream().map(h -> h.seal().deviceId()).distinct().toList());
    return new BatchSealer.Checked(now, BatchSealer.Checked.NOTHING);
  }

  /** Refuses {@code s} unless its known signer is an authorized device of the user and it verifies. */
  private void checkSignature(Device signer, Seal s, SiteDirectory sites, String databaseId) {
    if (!sites.isAuthorized(signer)) {
      throw new SealRefusedException(UNAUTHORIZED, "seal by device " + s.deviceId()
          + ", which is not an authorized device of this user (revoked or another user's)");
    }
    if (!DeviceKeys.verify(signer.publicKey(), signedBytes(databaseId, s.digests()), s.signature())) {
      throw new SealRefusedException(BAD_SIGNATURE, "the seal by device " + s.deviceId() + " over "
          + s.digests().size() + " changes does not verify: forged, altered or malformed");
    }
  }

  /**
   * The seal that proves {@code c} (of {@code site}, its digest {@code digest} and {@code key}); null if only
   * seals of unknown devices cover it and its site belongs to no known device (it waits for the device
   * list); or the refusal that names it.
   */
  private static SealStore.Cover cover(Change c, byte[] digest, DigestKey key, SiteDirectory.Site site,
      Covering covering, Set<DigestKey> byUnknown) {
    if (IdentitySchema.REVOCATIONS.equals(c.table()) && c.cl() % 2 == 0) {
      throw refusal(UNAUTHORIZED, c, "it deletes a revocation, and a revocation is final");
    }
    if (site.contested()) {
      throw refusal(SITE_MISMATCH, c, "its site is claimed by more than one device");
    }
    Device owner = site.owner();
    if (owner != null && !site.ownerAuthorized()) {
      throw refusal(UNAUTHORIZED, c, "it was made on device " + owner.id()
          + ", which is not an authorized device of this user (revoked or another user's)");
    }
    Seal first = covering.first(key);
    if (first == null) {
      boolean coveredByUnknown = byUnknown.contains(key);
      if (coveredByUnknown && owner == null) {
        return null;
      }
      throw coveredByUnknown
          ? refusal(SITE_MISMATCH, c, "its site belongs to device " + owner.id() + ", but it is sealed by a device"
              + " this replica does not know")
          : refusal(UNSIGNED_CHANGE, c, "no seal of the batch covers it: unsigned, or altered after it was signed");
    }
    if (owner == null) {
      return new SealStore.Cover(digest, first, false);
    }
    String origin = owner.id().toString();
    Seal mine = covering.byDevice(key, origin);
    if (mine == null) {
      throw refusal(SITE_MISMATCH, c, "its site belongs to device " + origin + ", but it is sealed by "
          + first.deviceId());
    }
    return new SealStore.Cover(digest, mine, true);
  }

  /**
   * The checked seals of a batch by the digests they cover, in the batch's order of seals. Nearly every
   * digest has one seal: it is kept without a list, and a list is made only for a second seal.
   */
  private static final class Covering {
    private final Map<DigestKey, Seal> first = new HashMap<>();
    private final Map<DigestKey, List<Seal>> more = new HashMap<>();

    void add(Seal s) {
      for (byte[] d : s.digests()) {
        DigestKey key = DigestKey.of(d);
        if (first.putIfAbsent(key, s) != null) {
          more.computeIfAbsent(key, k -> new ArrayList<>(1)).add(s);
        }
      }
    }

    /** The first seal covering {@code key}, or null. */
    Seal first(DigestKey key) {
      return first.get(key);
    }

    /** The first seal by {@code deviceId} covering {@code key}, or null. */
    Seal byDevice(DigestKey key, String deviceId) {
      Seal s = first.get(key);
      if (s == null || s.deviceId().equals(deviceId)) {
        return s;
      }
      for (Seal other : more.getOrDefault(key, List.of())) {
        if (other.deviceId().equals(deviceId)) {
          return other;
        }
      }
      return null;
    }
  }

  private static boolean digestsWellFormed(Seal s) {
    for (byte[] d : s.digests()) {
      if (d.length != ChangeDigest.BYTES) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<Change> releasable() {
    long holdsBefore = holds.get();
    if (holdsBefore == emptyAsOf.get()) {
      return List.of(); // nothing held: the common case costs no query
    }
    record Known(SiteDirectory sites, List<HeldChanges.Waiting> waiting) {}
    Known known = db.read(c -> new Known(deviceList.current(c), HeldChanges.waiting(c)));
    if (known.waiting().isEmpty()) {
      emptyAsOf.accumulateAndGet(holdsBefore, Math::max); // a hold after holdsBefore keeps it above
      return List.of();
    }
    List<HeldChanges.Waiting> checkable = known.waiting().stream()
        .filter(w -> known.sites().device(w.deviceId()).isPresent()).toList();
    if (checkable.isEmpty()) {
      return List.of();
    }
    String databaseId = cfost.databaseId();
    return db.write(c -> {
      SiteDirectory sites = deviceList.current(c);
      List<Change> ready = new ArrayList<>();
      List<SealStore.Cover> covers = new ArrayList<>();
      List<Long> dropped = new ArrayList<>();
      for (HeldChanges.Waiting w : checkable) {
        if (ready.size() >= RELEASE_LIMIT) {
          break; // the rest goes with the next call
        }
        Seal seal = SealStore.seal(c, w.sealId());
        Covering covering = new Covering();
        covering.add(seal);
        SealRefusedException sealRefused = null;
        try {
          checkSignature(sites.device(w.deviceId()).orElseThrow(), seal, sites, databaseId);
        } catch (SealRefusedException e) {
          sealRefused = e;
        }
        SiteDirectory.Site site = null;
        for (HeldChanges.Row r : HeldChanges.waitingFor(c, w.sealId())) {
          try {
            if (sealRefused != null) {
              throw sealRefused;
            }
            site = sites.site(r.change().siteId(), site);
            SealStore.Cover cover = cover(r.change(), r.digest(), DigestKey.of(r.digest()), site, covering, Set.of());
            covers.add(Objects.requireNonNull(cover));
            ready.add(r.change());
          } catch (SealRefusedException e) {
            log.warn("dropped a held change to table '{}' key {} column '{}' of site {}, never merged: {}",
                r.change().table(), Values.hex(r.change().pk()), r.change().cid(), Values.hex(r.change().siteId()),
                e.getMessage());
            dropped.add(r.id());
          }
        }
      }
      HeldChanges.delete(c, dropped);
      SealStore.save(c, covers);
      return ready;
    });
  }

  @Override
  public void released(List<Change> merged) {
    if (merged.isEmpty()) {
      return;
    }
    List<byte[]> digests = merged.stream().map(ChangeDigest::of).toList();
    db.write(c -> {
      HeldChanges.deleteDigests(c, digests);
      return null;
    });
  }

  @Override
  public void keep(List<Change> incoming, List<Seal> seals) {
    keepLater(incoming, seals).run();
  }

  @Override
  public Runnable keepLater(List<Change> incoming, List<Seal> seals) {
    Map<DigestKey, Seal> bySeal = new HashMap<>();
    // A change whose first seal is malformed is not kept. Each seal's form is checked once here, not once
    // per change it covers (that was the seal's length times the batch's).
    Set<Seal> malformed = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Seal s : seals) {
      if (!digestsWellFormed(s)) {
        malformed.add(s);
      }
      for (byte[] d : s.digests()) {
        bySeal.putIfAbsent(DigestKey.of(d), s);
      }
    }
    List<SealStore.Cover> covers = new ArrayList<>();
    for (Change c : incoming) {
      byte[] digest = ChangeDigest.of(c);
      Seal s = bySeal.get(DigestKey.of(digest));
      if (s != null && !malformed.contains(s)) {
        covers.add(new SealStore.Cover(digest, s, false));
      }
    }
    return () -> db.write(c -> {
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
