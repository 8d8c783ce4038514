package dev.cfost.identity.internal;

import dev.cfost.identity.RegistrationException;
import dev.cfost.identity.RegistrationException.Reason;
import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** What a user name, an email address and a password must look like, and how names are compared. */
final class UserRules {
  static final int MIN_PASSWORD = 8;
  static final int MAX_PASSWORD = 1024;

  // No '@' in names, so "name or email" at login is never ambiguous.
  private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N}._-]{1,64}");
  // A deliberately plain shape: local@domain.tld, no spaces, no second '@', DNS-like labels.
  private static final Pattern EMAIL = Pattern.compile(
      "[^@\\s\\p{Cntrl}]{1,64}@(?=.{4,253}$)([\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.)+\\p{L}[\\p{L}\\p{N}-]{1,62}");

  private UserRules() {}

  static String name(String name) {
    String n = name == null ? "" : Normalizer.normalize(name.strip(), Normalizer.Form.NFC);
    if (!NAME.matcher(n).matches()) {
      throw new RegistrationException(Reason.INVALID_NAME, "user name '" + name + "' is not valid: use 1 to"
          + " 64 letters, digits, '.', '_' or '-'");
    }
    return n;
  }

  static String email(String email) {
    String e = email == null ? "" : Normalizer.normalize(email.strip(), Normalizer.Form.NFC);
    if (!EMAIL.matcher(e).matches()) {
      throw new RegistrationException(Reason.INVALID_EMAIL, "email address '" + email + "' is not valid:"
          + " expected the shape name@example.org");
    }
    return e;
  }

  static void password(char[] password) {
    int length = password == null ? 0 : Character.codePointCount(password, 0, password.length);
    if (length < MIN_PASSWORD) {
      throw new RegistrationException(Reason.WEAK_PASSWORD, "the password has " + length
          + " characters; at least " + MIN_PASSWORD + " are needed");
    }
    if (length > MAX_PASSWORD) {
      throw new RegistrationException(Reason.WEAK_PASSWORD, "the password has " + length
          + " characters; at most " + MAX_PASSWORD + " are accepted");
    }
  }

  /** The form names and emails are compared in: normalized and lower-cased, so "Alice" is "alice". */
  static String key(String nameOrEmail) {
    return Normalizer.normalize(nameOrEmail.strip(), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }
}
