import { isWellFormedText } from '../shared/text';

/**
 * Usernames follow the PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) restricted to ASCII: width-mapped and
 * compatibility-normalised (NFKC, so full-width `ａｄｍｉｎ` is `admin`), surrounding spaces trimmed, lower-cased,
 * then 3 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit. Anything else (Cyrillic `а`, zero-width spaces,
 * emoji) is refused at registration and at login alike.
 */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export const USERNAME_RULE =
  'must be 3 to 64 characters: letters a-z, digits, dot, dash or underscore, starting with a letter or digit';

export const normalizeUsername = (username: string): string =>
  username.normalize('NFKC').trim().toLowerCase();

/** The normalised username, or null when it is not one (see USERNAME_PATTERN). */
export const validUsername = (username: string): string | null => {
  if (!isWellFormedText(username)) return null;
  const normalized = normalizeUsername(username);
  return USERNAME_PATTERN.test(normalized) ? normalized : null;
};
