package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** The stored form of a run of revisions: what it holds, its bounds, and what a reader refuses. */
class RevisionRunTest {
  private static final byte[] SITE = new byte[16];

  static {
    Arrays.fill(SITE, (byte) 7);
  }

  @Test
  void aRunKeepsEveryRevisionWithItsOwnClockAndIdAndTheRowKeyIsTheFirstOnes() {
    RevisionRun.Builder run = new RevisionRun.Builder();
    List<RevisionRecord> made = new ArrayList<>();
    long hlc = 1L << 40;
    for (int i = 0; i < 50; i++) {
      hlc += 1 + i % 3;
      RevisionRecord r = i == 0 ? create(hlc) : keystroke(hlc, i);
      assertThat(run.add(r)).isEqualTo(i);
      made.add(r);
    }
    Object body = run.body();
    assertThat(body).isInstanceOf(byte[].class);
    assertThat(((byte[]) body)[0]).isEqualTo(RevisionRun.FORMAT);
    assertThat(RevisionRun.revisionsIn(body)).isEqualTo(50);
    assertThat(run.key()).isEqualTo(RevisionRecord.key(SITE, made.get(0).hlc()));
    List<RevisionRecord> read = RevisionRun.decode(body);
    assertThat(read).hasSize(50);
    for (int i = 0; i < 50; i++) {
      assertThat(read.get(i).encode()).as("revision " + i).isEqualTo(made.get(i).encode());
      assertThat(read.get(i).id()).isEqualTo(made.get(i).id());
    }
  }

  @Test
  void aLoneRevisionIsStoredAsTheSingleRevisionFormatThatOlderVersionsRead() {
    RevisionRun.Builder run = new RevisionRun.Builder();
    RevisionRecord r = keystroke(1L << 40, 3);
    run.add(r);
    assertThat(run.body()).isEqualTo(r.encode());
    assertThat(RevisionRun.decode(r.encode()).get(0).encode()).isEqualTo(r.encode());
  }

  @Test
  void aRunTakesOnlyLaterRevisionsOfTheSameDocumentDeviceAndUserWithinItsBounds() {
    RevisionRun.Builder run = new RevisionRun.Builder();
    long hlc = 1L << 40;
    run.add(keystroke(hlc, 0));
    assertThat(run.add(keystroke(hlc, 1))).as("the same clock").isEqualTo(-1);
    RevisionRecord otherUser = new RevisionRecord("d", hlc + 1, SITE, "w", RevisionRecord.Kind.UPDATE,
        RevisionRecord.Action.PATCH, null, null, add(1), remove(1), 0);
    assertThat(run.add(otherUser)).isEqualTo(-1);
    for (int i = 1; i < RevisionRun.MAX_REVISIONS; i++) {
      assertThat(run.add(keystroke(hlc + i, i))).isEqualTo(i);
    }
    assertThat(run.add(keystroke(hlc + RevisionRun.MAX_REVISIONS, 1))).as("past the count").isEqualTo(-1);
    RevisionRun.Builder big = new RevisionRun.Builder();
    String text = "x".repeat(RevisionRun.MAX_JSON_BYTES / 3);
    assertThat(big.add(create(hlc, text))).isZero();
    assertThat(big.add(create(hlc + 1, text))).isEqualTo(1);
    assertThat(big.add(create(hlc + 2, text))).as("past the bytes").isEqualTo(-1);
    assertThat(RevisionRun.decode(big.body())).hasSize(2);
  }

  @Test
  void malformedRunsAreRefusedNamingWhatIsWrong() {
    String site = Base64.getEncoder().withoutPadding().encodeToString(SITE);
    assertThatThrownBy(() -> RevisionRun.decode(new byte[] {2, 1, 2, 3}))
        .hasMessageContaining("run of revisions is");
    assertThatThrownBy(() -> RevisionRun.decode(new byte[] {9, 1, 2, 3}))
        .hasMessageContaining("neither JSON text nor a run");
    assertThatThrownBy(() -> RevisionRun.decode(42L)).hasMessageContaining("neither JSON text nor a run");
    assertThatThrownBy(() -> RevisionRun.decode(deflated("{\"a\":1}")))
        .hasMessageContaining("is not [doc, site, user, [revision, ...]]");
    assertThatThrownBy(() -> RevisionRun.decode(deflated("[\"d\",\"" + site + "\",\"u\",[]]")))
        .hasMessageContaining("is not [doc, site, user, [revision, ...]]");
    String entry = "[\"u\",\"p\",null,[[\"+\",\"/a\",1]],[[\"-\",\"/a\"]],0]";
    assertThatThrownBy(() -> RevisionRun.decode(deflated("[\"d\",\"" + site + "\",\"u\",[[5," + entry.substring(1)
        + ",[0," + entry.substring(1) + "]]"))).hasMessageContaining("clocks that do not increase");
    assertThatThrownBy(() -> RevisionRun.decode(deflated("[\"d\",\"AAAA\",\"u\",[[5," + entry.substring(1) + "]]")))
        .hasMessageContaining("site of 3 bytes");
    String two = "[\"d\",\"" + site + "\",\"u\",[[5," + entry.substring(1) + ",[1," + entry.substring(1) + "]]";
    assertThat(RevisionRun.decode(deflated(two))).hasSize(2);
    assertThat(RevisionRun.revisionsIn(deflated(two, 3))).isEqualTo(3);
    assertThatThrownBy(() -> RevisionRun.decode(deflated(two, 3))).hasMessageContaining("has 2 revisions, not the 3");
    assertThatThrownBy(() -> RevisionRun.decode(deflated(two, 1))).hasMessageContaining("says it holds 1, not 2 to");
    assertThatThrownBy(() -> RevisionRun.decode(deflated(two, 5000))).hasMessageContaining("says it holds 5000");
    // a small row that inflates past the bound (a "zip bomb") is refused before it is all inflated
    String bomb = "[\"d\",\"" + site + "\",\"u\",[[5,\"u\",\"p\",\"" + " ".repeat(RevisionRun.MAX_JSON_BYTES) + "\"]]]";
    byte[] small = deflated(bomb);
    assertThat(small.length).isLessThan(10_000);
    assertThatThrownBy(() -> RevisionRun.decode(small)).hasMessageContaining("inflates to more than");
  }

  private static byte[] deflated(String json) {
    return deflated(json, 2);
  }

  /** A run's stored form: the format byte, the count it claims, the deflated JSON. */
  private static byte[] deflated(String json, int claimed) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.setInput(json.getBytes(StandardCharsets.UTF_8));
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(RevisionRun.FORMAT);
    out.write(claimed >> 8);
    out.write(claimed);
    byte[] buf = new byte[8192];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  private static RevisionRecord create(long hlc) {
    return create(hlc, "hello");
  }

  private static RevisionRecord create(long hlc, String text) {
    return new RevisionRecord("d", hlc, SITE, "u", RevisionRecord.Kind.CREATE, RevisionRecord.Action.CREATE, "T",
        Json.parse("{\"t\":\"" + text + "\"}", "content"), null, null, 0);
  }

  private static RevisionRecord keystroke(long hlc, int at) {
    return new RevisionRecord("d", hlc, SITE, "u", RevisionRecord.Kind.UPDATE, RevisionRecord.Action.PATCH, null,
        null, add(at), remove(at), 0);
  }

  private static JsonPatch add(int at) {
    return JsonPatch.parse(Json.parse("[{\"op\":\"add\",\"path\":\"/t/" + at + "\",\"value\":\"k\"}]", "p"));
  }

  private static JsonPatch remove(int at) {
    return JsonPatch.parse(Json.parse("[{\"op\":\"remove\",\"path\":\"/t/" + at + "\"}]", "p"));
  }
}
