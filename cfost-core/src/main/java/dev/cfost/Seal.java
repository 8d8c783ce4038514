package dev.cfost;

import java.util.List;
import java.util.Objects;

/**
 * A device's signature over the digests of a list of changes, as batches between devices carry it
 * (docs/PROTOCOL.md, "Seals"). Only data here: cfost-identity makes and checks seals, cfost-net carries
 * them. Byte arrays are not copied.
 *
 * @param deviceId the signing device, as text (from the network: checked by whoever verifies the seal)
 * @param digests the 32-byte digests the signature covers, in the signed order
 */
public record Seal(String deviceId, byte[] signature, List<byte[]> digests) {
  public Seal {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(signature, "signature");
    digests = List.copyOf(digests);
  }
}
