package dev.cfost.identity;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A QR code (error correction level M) of a short text, printable in a terminal or writable as PNG.
 *
 * <p>Made with ZXing's encoder; the PNG is drawn from the module matrix with {@code javax.imageio}, so
 * only ZXing's core is needed. Immutable.
 */
public final class QrCode {
  /** Modules of light border the PNG carries on each side, as the QR specification asks. */
  public static final int PNG_QUIET_ZONE = 4;
  /** Modules of light border in terminal text: less than the specification's 4, which scanners accept. */
  public static final int TERMINAL_QUIET_ZONE = 2;

  private final String text;
  private final BitMatrix modules;

  private QrCode(String text, BitMatrix modules) {
    this.text = text;
    this.modules = modules;
  }

  /**
   * The QR code of {@code text}.
   *
   * @throws IllegalArgumentException if the text is empty or too long for any QR code version
   */
  public static QrCode of(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("a QR code needs some text");
    }
    Map<EncodeHintType, Object> hints = new EnumMap<>(EncodeHintType.class);
    hints.put(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M);
    hints.put(EncodeHintType.MARGIN, 0); // quiet zones are added when drawing
    if (!text.chars().allMatch(ch -> ch < 0x80)) {
      hints.put(EncodeHintType.CHARACTER_SET, "UTF-8");
    }
    try {
      // Width and height 0: one matrix cell per module.
      return new QrCode(text, new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0, hints));
    } catch (WriterException e) {
      throw new IllegalArgumentException("text of " + text.length() + " characters does not fit a QR code: "
          + e.getMessage(), e);
    }
  }

  /** The encoded text. */
  public String text() {
    return text;
  }

  /** Modules per side, without quiet zone (21 for version 1, 4 more per version). */
  public int size() {
    return modules.getWidth();
  }

  /** Whether the module at column {@code x}, row {@code y} is dark. */
  public boolean isDark(int x, int y) {
    return modules.get(x, y);
  }

  /**
   * The code as text for a terminal with a dark background: two module rows per line with the Unicode
   * half blocks ▀ ▄ █, drawing the light modules (and the quiet zone) so that the code reads the right
   * way round.
   */
  public String toTerminal() {
    return toTerminal(true);
  }

  /**
   * The code as terminal text; with {@code darkBackground} false the dark modules are drawn instead,
   * for terminals (and paper) with a light background.
   */
  public String toTerminal(boolean darkBackground) {
    int q = TERMINAL_QUIET_ZONE;
    int side = size() + 2 * q;
    StringBuilder sb = new StringBuilder((side + 1) * (side / 2 + 1));
    for (int y = 0; y < side; y += 2) {
      for (int x = 0; x < side; x++) {
        boolean top = inked(x - q, y - q, darkBackground);
        // Past the last row (the side is odd) lies the terminal's own background: nothing is drawn.
        boolean bottom = y + 1 < side && inked(x - q, y + 1 - q, darkBackground);
        sb.append(top ? (bottom ? '█' : '▀') : (bottom ? '▄' : ' '));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * The code as a black-on-white PNG image with a 4-module quiet zone.
   *
   * @param pixelsPerModule 1 to 64
   */
  public byte[] toPng(int pixelsPerModule) {
    if (pixelsPerModule < 1 || pixelsPerModule > 64) {
      throw new IllegalArgumentException("pixels per module must be 1 to 64, was " + pixelsPerModule);
    }
    int side = (size() + 2 * PNG_QUIET_ZONE) * pixelsPerModule;
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_BINARY);
    for (int py = 0; py < side; py++) {
      for (int px = 0; px < side; px++) {
        int mx = px / pixelsPerModule - PNG_QUIET_ZONE;
        int my = py / pixelsPerModule - PNG_QUIET_ZONE;
        image.setRGB(px, py, dark(mx, my) ? 0xFF000000 : 0xFFFFFFFF);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("this JDK has no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the QR code as PNG", e);
    }
    return out.toByteArray();
  }

  private boolean dark(int x, int y) {
    return x >= 0 && y >= 0 && x < size() && y < size() && modules.get(x, y);
  }

  private boolean inked(int x, int y, boolean darkBackground) {
    return dark(x, y) != darkBackground;
  }

  @Override
  public String toString() {
    return "QrCode[" + size() + "x" + size() + ", " + text.length() + " characters]";
  }
}
