package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Values;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.ServerClient;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a device joins an account and proves itself: {@code POST /v1/devices/challenge} and
 * {@code POST /v1/devices/token} (docs/SERVER.md, "Devices"), and the device-token check in front of the
 * sync endpoints.
 *
 * <p>A device proves its Ed25519 key by signing a fresh challenge bound to the account. The first device
 * of an account binds it to the device's identity user; every later device must be an authorized device
 * of the user's replicated device list as the server holds it ({@link DeviceList}): the password alone
 * never makes a device trusted. A device that says it does not hold the user's device list yet (paired,
 * not yet synced with its pairer) never becomes the first: it waits for a device that does. Challenges are single use, live 60 s and are kept in the store
 * ({@link ServerStore#issueChallenge}), so that behind a load balancer the proof may reach another server
 * process than the challenge did.
 */
final class SyncApi {
  static final String DEVICE_ATTRIBUTE = "cfost.device";
  static final Duration CHALLENGE_TTL = Duration.ofSeconds(60);
  static final Duration DEVICE_TOKEN_TTL = Duration.ofHours(24);
  private static final Logger LOG = LoggerFactory.getLogger(SyncApi.class);

  private final ServerStore store;
  private final int maxBody;
  private final Object joinLock = new Object();

  SyncApi(ServerStore store, int maxBody) {
    this.store = store;
    this.maxBody = maxBody;
  }

  /** {@code POST /v1/devices/challenge} (access token) → {challenge, expires_in}. */
  void challenge(Context ctx) {
    String user = AuthApi.user(ctx);
    String challenge = Values.hex(store.issueChallenge(user, CHALLENGE_TTL));
    ctx.header("Cache-Control", "no-store");
    AuthApi.json(ctx, 200, JsonBody.MAPPER.createObjectNode().put("challenge", challenge)
        .put("expires_in", CHALLENGE_TTL.toSeconds()));
  }

  /**
   * {@code POST /v1/devices/token} (access token) {device_id, public_key, identity_user, challenge,
   * signature} → {device_token, token_type, expires_in, device_id}.
   */
  void token(Context ctx) {
    String user = AuthApi.user(ctx);
    JsonBody body = JsonBody.read(ctx, maxBody, false);
    String deviceText = body.string("device_id", 128);
    String keyHex = body.string("public_key", 64);
    String identityUser = body.string("identity_user", 64);
    String challengeHex = body.string("challenge", 64);
    String signatureHex = body.string("signature", 128);
    boolean holdsDeviceList = body.optionalBoolean("holds_device_list", true);
    byte[] key = hex("public_key", keyHex, 32);
    byte[] challenge = hex("challenge", challengeHex, 32);
    byte[] signature = hex("signature", signatureHex, 64);
    DeviceId device;
    try {
      device = DeviceId.parse(deviceText);
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("device_id", "field 'device_id' is not a device id");
    }
    try {
      WireChecks.identityUser(identityUser);
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("identity_user", e.getMessage());
    }
    if (!device.equals(DeviceId.of(key))) {
      throw ApiException.badField("device_id", "field 'device_id' is not the id of 'public_key'");
    }
    // Used up whatever follows: a challenge is never tried twice.
    if (!store.useChallenge(user, challenge)
        || !DeviceKeys.verify(key, ServerClient.deviceProofMessage(user, identityUser, challenge), signature)) {
      LOG.info("event=device_proof_refused user={} device={}", user, device);
      throw new ApiException(401, "invalid_proof", "the device proof does not verify: the challenge is unknown,"
          + " used or expired, or the signature is not the device key's");
    }
    synchronized (joinLock) {
      if (!store.identityUser(user).orElse(identityUser).equals(identityUser)) {
        throw wrongUser();
      }
      List<ServerDevice> devices = store.devices(user);
      Optional<ServerDevice> known = devices.stream().filter(d -> d.deviceId().equals(device.toString())).findFirst();
      if (known.isEmpty() && devices.isEmpty()) {
        Optional<ServerDevice> elsewhere = store.device(device.toString());
        if (elsewhere.isPresent()) {
          throw new ApiException(403, "device_not_authorized", "device " + device + " belongs to another account");
        }
        if (!holdsDeviceList) {
          // A device paired but not yet synced with its pairer: were it the first, the account's device list
          // would start without the devices the user already has, and the server would refuse them.
          throw new ApiException(409, "no_device_list_yet", "device " + device + " does not hold the user's"
              + " device list yet, and no device of this account has reached the server: the account's first"
              + " device must be one that does (the device that paired this one, or this one after syncing"
              + " with it)");
        }
        // Bound only now, by the device that becomes the account's first: a refused proof binds nothing.
        // Unbound or bound to it, checked above under joinLock; another process may have bound it meanwhile.
        if (!store.bindIdentityUser(user, identityUser).equals(identityUser)) {
          throw wrongUser();
        }
        store.putDevice(user, device.toString(), key, false); // the account's first device
        LOG.info("event=first_device user={} device={}", user, device);
      } else if (known.isEmpty() || known.get().revoked()) {
        throw new ApiException(403, "device_not_authorized", "device " + device + (known.isEmpty()
            ? " is not in this user's device list as the server holds it: sync it with a paired device on the"
            + " LAN first, or have an authorized device sync with the server after pairing it" : " is revoked"));
      }
    }
    String token = store.issueDeviceToken(user, device.toString(), DEVICE_TOKEN_TTL);
    ctx.header("Cache-Control", "no-store");
    AuthApi.json(ctx, 200, JsonBody.MAPPER.createObjectNode().put("device_token", token)
        .put("token_type", "Bearer").put("expires_in", DEVICE_TOKEN_TTL.toSeconds())
        .put("device_id", device.toString()));
  }

  private static ApiException wrongUser() {
    return new ApiException(403, "wrong_user", "this account belongs to another identity user than the device's"
        + " database");
  }

  /**
   * Before the sync endpoints: a valid device token of a device that is not revoked (401 otherwise, 403
   * for a revoked device), and a well-formed {@code database} query parameter.
   */
  ServerDevice requireDevice(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ApiException(401, "unauthorized", "this endpoint needs an 'Authorization: Bearer <device token>'"
          + " header (POST /v1/devices/token)").header("WWW-Authenticate", "Bearer realm=\"cfost\"");
    }
    String token = header.substring(7).strip();
    Optional<ServerDevice> device = store.deviceTokenDevice(token);
    if (device.isEmpty()) {
      // Looked up only on a refusal: its bearer holds the token already, so naming its kind tells it nothing new.
      String why = store.accessTokenUser(token).isPresent()
          ? "this is a user's access token; the sync endpoints need a device token (POST /v1/devices/challenge,"
              + " then POST /v1/devices/token)"
          : "the device token is unknown, expired or revoked";
      throw new ApiException(401, "invalid_token", why)
          .header("WWW-Authenticate", "Bearer realm=\"cfost\", error=\"invalid_token\"");
    }
    if (device.get().revoked()) {
      throw new ApiException(403, "device_revoked", "device " + device.get().deviceId() + " is revoked");
    }
    ctx.attribute(DEVICE_ATTRIBUTE, device.get());
    return device.get();
  }

  static String database(String param) {
    if (param == null) {
      throw ApiException.badField("database", "query parameter 'database' is missing: name the database to sync");
    }
    try {
      return WireChecks.databaseId(param);
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("database", "query parameter 'database': " + e.getMessage());
    }
  }

  private static byte[] hex(String field, String text, int bytes) {
    byte[] out;
    try {
      out = Values.unhex(text);
    } catch (RuntimeException e) {
      throw ApiException.badField(field, "field '" + field + "' is not hex");
    }
    if (out.length != bytes) {
      throw ApiException.badField(field, "field '" + field + "' must have " + bytes + " bytes");
    }
    return out;
  }

  static ObjectNode error(String code, String message) {
    return JsonBody.MAPPER.createObjectNode().put("error", code).put("message", message);
  }
}
