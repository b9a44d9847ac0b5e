import { isWellFormedText } from '../shared/text';

/** The shortest and longest password, in UTF-16 code units, at registration and at a change alike. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export const PASSWORD_RULE = `must be ${String(PASSWORD_MIN_LENGTH)} to ${String(PASSWORD_MAX_LENGTH)} characters of well-formed text`;

/**
 * True when the password may be set: 8 to 256 characters, any of them, compared exactly as given (no normalisation:
 * hashes stored before a rule change must keep matching); text with a lone surrogate has no single byte encoding.
 * The HTTP edge (write-api/contract/user-contract.ts) says the same with a message per broken part.
 */
export const validPassword = (password: string): boolean =>
  password.length >= PASSWORD_MIN_LENGTH &&
  password.length <= PASSWORD_MAX_LENGTH &&
  isWellFormedText(password);
