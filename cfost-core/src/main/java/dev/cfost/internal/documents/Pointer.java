package dev.cfost.internal.documents;

import java.util.ArrayList;
import java.util.List;

/** A parsed RFC 6901 JSON pointer: its unescaped reference tokens. */
record Pointer(String text, List<String> tokens) {
  static final Pointer ROOT = new Pointer("", List.of());

  /**
   * Parses a pointer.
   *
   * @throws PatchException if it neither is empty nor starts with {@code /}, or has a {@code ~} not
   *     followed by {@code 0} or {@code 1}
   */
  static Pointer parse(String text) {
    if (text.isEmpty()) {
      return ROOT;
    }
    if (text.charAt(0) != '/') {
      throw new PatchException("'" + text + "' is not a JSON pointer: it must be empty or start with '/'");
    }
    List<String> tokens = new ArrayList<>();
    StringBuilder token = new StringBuilder();
    for (int i = 1; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '/';
      if (c == '/') {
        tokens.add(token.toString());
        token.setLength(0);
      } else if (c == '~') {
        char next = i + 1 < text.length() ? text.charAt(i + 1) : ' ';
        if (next != '0' && next != '1') {
          throw new PatchException("'" + text + "' is not a JSON pointer: '~' must be followed by 0 or 1");
        }
        token.append(next == '0' ? '~' : '/');
        i++;
      } else {
        token.append(c);
      }
    }
    return new Pointer(text, List.copyOf(tokens));
  }

  boolean isRoot() {
    return tokens.isEmpty();
  }

  String last() {
    return tokens.get(tokens.size() - 1);
  }

  Pointer parent() {
    return new Pointer(text.substring(0, text.lastIndexOf('/')), tokens.subList(0, tokens.size() - 1));
  }

  /** The pointer to element {@code index} of the array this pointer's parent names. */
  Pointer withLast(int index) {
    List<String> t = new ArrayList<>(tokens.subList(0, tokens.size() - 1));
    t.add(Integer.toString(index));
    return new Pointer(parent().text + "/" + index, List.copyOf(t));
  }

  /** True if {@code other} names a location strictly inside this one. */
  boolean isProperPrefixOf(Pointer other) {
    return other.tokens.size() > tokens.size() && other.tokens.subList(0, tokens.size()).equals(tokens);
  }

  /**
   * An array index token: {@code 0} or digits without a leading zero, below {@code limit}.
   *
   * @return the index, or -1 if the token is not a valid index
   */
  static int index(String token, int limit) {
    int n = token.length();
    if (n == 0 || n > 10 || (n > 1 && token.charAt(0) == '0')) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      char c = token.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v < limit ? (int) v : -1;
  }

  /** Escapes one token for a pointer's text. */
  static String escape(String token) {
    return token.indexOf('~') < 0 && token.indexOf('/') < 0 ? token : token.replace("~", "~0").replace("/", "~1");
  }

  @Override
  public String toString() {
    return text;
  }
}
