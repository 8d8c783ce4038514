package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.Result;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class QrCodeTest {
  private static final String TEXT = "cfost-pair:" + "AbCdEfGh0123456789_-".repeat(8);

  @Test
  void thePngDecodesBackToTheText() throws Exception {
    QrCode qr = QrCode.of(TEXT);
    byte[] png = qr.toPng(4);

    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image.getWidth()).isEqualTo((qr.size() + 8) * 4).isEqualTo(image.getHeight());
    assertThat(decode(image)).isEqualTo(TEXT);
  }

  @Test
  void theTerminalTextDrawsEveryModuleInHalfBlocks() {
    QrCode qr = QrCode.of(TEXT);
    for (boolean darkBackground : new boolean[] {true, false}) {
      boolean[][] modules = readTerminal(qr.toTerminal(darkBackground), darkBackground);
      int q = QrCode.TERMINAL_QUIET_ZONE;
      assertThat(modules).hasDimensions(qr.size() + 2 * q + 1, qr.size() + 2 * q);
      for (int y = 0; y < qr.size() + 2 * q; y++) {
        for (int x = 0; x < qr.size() + 2 * q; x++) {
          boolean inside = x >= q && y >= q && x < q + qr.size() && y < q + qr.size();
          assertThat(modules[y][x]).as("module %d,%d", x, y).isEqualTo(inside && qr.isDark(x - q, y - q));
        }
      }
    }
  }

  @Test
  void theTerminalTextIsAScannableCode() throws Exception {
    QrCode qr = QrCode.of(TEXT);
    boolean[][] modules = readTerminal(qr.toTerminal(), true);
    int scale = 4;
    int side = modules[0].length;
    BufferedImage image = new BufferedImage(side * scale, side * scale, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < side * scale; y++) {
      for (int x = 0; x < side * scale; x++) {
        image.setRGB(x, y, modules[y / scale][x / scale] ? 0x000000 : 0xFFFFFF);
      }
    }
    assertThat(decode(image)).isEqualTo(TEXT);
  }

  @Test
  void aPairingChallengeFitsAQrCodeThatScans() throws Exception {
    PairingChallenge challenge = PairingChallenge.of("0b1c6f0e-9d7a-4c43-a7f5-3f1e2d4c5b6a",
        DeviceKeys.generate().publicKey(), new byte[32], java.time.Instant.now(),
        java.util.List.of("192.168.1.20:7420", "laptop.local:7420"));
    QrCode qr = challenge.qrCode();

    assertThat(qr.size()).isLessThanOrEqualTo(65); // version 12 or lower: scannable from a terminal
    assertThat(decode(ImageIO.read(new ByteArrayInputStream(qr.toPng(3))))).isEqualTo(challenge.encode());
  }

  /** Reads half-block text back into modules, true for dark. One row more than drawn when the side is odd. */
  private static boolean[][] readTerminal(String text, boolean darkBackground) {
    String[] lines = text.split("\n");
    int width = lines[0].length();
    boolean[][] modules = new boolean[lines.length * 2][width];
    for (int l = 0; l < lines.length; l++) {
      assertThat(lines[l]).hasSize(width).matches("[ ▀▄█]+");
      for (int x = 0; x < width; x++) {
        char ch = lines[l].charAt(x);
        boolean top = ch == '█' || ch == '▀';
        boolean bottom = ch == '█' || ch == '▄';
        modules[2 * l][x] = top != darkBackground;
        modules[2 * l + 1][x] = bottom != darkBackground;
      }
    }
    // The last half line lies beyond the code: nothing is drawn there, which must not read as dark.
    boolean[][] trimmed = java.util.Arrays.copyOf(modules, width + 1);
    java.util.Arrays.fill(trimmed[width], false);
    return trimmed;
  }

  private static String decode(BufferedImage image) throws Exception {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] pixels = image.getRGB(0, 0, w, h, null, 0, w);
    BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(w, h, pixels)));
    Result result = new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.PURE_BARCODE, Boolean.FALSE));
    return result.getText();
  }
}
