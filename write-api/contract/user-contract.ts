import { z } from 'zod';
import { isWellFormedText } from '../../domain/shared/text';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../domain/user/password';
import { REASON_MAX_LENGTH } from '../../domain/user/user-decider';
import { USERNAME_PATTERN, USERNAME_RULE, validUsername } from '../../domain/user/username';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import type { UserAccount } from '../../commands/user-handlers';
import {
  answerHeader,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';

/** The username rule (domain/user/username.ts) at the edge, for registration and login alike. */
const username = z
  .string()
  .max(256)
  .transform((value, context) => {
    const normalized = validUsername(value);
    if (normalized === null) {
      context.addIssue({ code: 'custom', message: USERNAME_RULE });
      return z.NEVER;
    }
    return normalized;
  })
  .meta({
    description: `Compatibility-normalised (NFKC), trimmed and lower-cased, it ${USERNAME_RULE} (RFC 8265 UsernameCaseMapped, ASCII only).`,
  });

/**
 * Any characters, 8 to 256 of them, compared exactly as given (no normalisation: hashes stored before a rule change
 * must keep matching); text with a lone surrogate has no single byte encoding and is refused. The rule of
 * domain/user/password.ts, with a message per broken part; registration and a password change apply it alike.
 */
const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${String(PASSWORD_MIN_LENGTH)} characters`)
  .max(PASSWORD_MAX_LENGTH)
  .refine(isWellFormedText, 'must be well-formed text')
  .meta({ description: '8 to 256 characters, compared exactly as given; a lone surrogate is refused.' });

export const credentials = z.strictObject({ username, password }).meta({ id: 'Credentials' });

const userId = z.string().regex(SUBJECT_PATTERN);

export const registeredUser = z
  .strictObject({ userId, username: z.string().regex(USERNAME_PATTERN) })
  .meta({ id: 'RegisteredUser' });

export type RegisteredUser = z.output<typeof registeredUser>;

export const loginAnswer = z
  .strictObject({
    token: z.string().meta({ description: 'an HS256 JWT: send it as `Authorization: Bearer <token>`' }),
    expiresIn: z.number().int().positive().meta({ description: 'seconds the token lives' }),
    tokenType: z.literal('Bearer'),
    userId,
    role: z.enum(['user', 'admin']),
  })
  .meta({ id: 'LoginAnswer' });

export type LoginAnswer = z.output<typeof loginAnswer>;

export const registerOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/users',
  operationId: 'registerUser',
  summary: 'Register a user',
  description:
    'Anyone may register. The username is normalised before it is checked and stored, and registration and login apply the same rule. Each client address may try a few registrations per window (`RateLimit-Policy` "registration-address"; 10 an hour by default), counted before the password is hashed; a registration refused with 503 gives its unit back.',
  tag: 'users',
  access: 'anyone',
  body: { schema: credentials, required: true, description: 'the new username and password' },
  answers: {
    201: {
      description: 'registered',
      schema: registeredUser,
      headers: {
        Location: answerHeader("the user's path", { type: 'string', pattern: '^/api/v1/users/' }),
        ...RATE_LIMIT_ANSWER_HEADERS,
      },
    },
  },
  errors: ['USERNAME_TAKEN', 'RATE_LIMITED', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const loginOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/auth/login',
  operationId: 'login',
  summary: 'Log in',
  description:
    'A bearer token for the user. Unknown names and wrong passwords answer alike, and take as long. Before any password is checked, three limits apply (`429 RATE_LIMITED` with `Retry-After`): attempts per client address (`RateLimit-Policy` "login-address", 30 a minute by default); per client address and username an exponential back-off after wrong passwords in a row ("login-backoff": after 5 free ones, 1 s, 2 s, 4 s, … up to 300 s; a success from that address resets it; wrong passwords from one address never slow a login from another); and per username a ceiling of wrong passwords from all addresses together ("login-username", 100 an hour by default; past it logins for the username wait for the end of the hour, never longer). A login refused with 503 spends no quota. Password checks run a few at a time; when too many wait, the login is refused at once with `503 OVERLOADED`. Keep a session alive with `POST /api/v1/auth/refresh` rather than logging in again. The right password of an account an administrator disabled answers `403 ACCOUNT_DISABLED` (a wrong one answers 401 as for any account).',
  tag: 'users',
  access: 'anyone',
  body: { schema: credentials, required: true, description: 'the username and password' },
  answers: { 200: { description: 'a token', schema: loginAnswer, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['INVALID_CREDENTIALS', 'ACCOUNT_DISABLED', 'RATE_LIMITED', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const refreshOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/auth/refresh',
  operationId: 'refreshToken',
  summary: 'Renew a token',
  description:
    'A new token for the holder of a valid one, for a full lifetime from now: no password, no hashing. A token is renewed only while the login it descends from is younger than the longest session (24 h by default); after that its user logs in again. The account is read again: a disabled account gets `403 ACCOUNT_DISABLED`, and a token whose login came before the last password change (or that names no username) gets `401 UNAUTHENTICATED`. Each user may renew a few times per window (`RateLimit-Policy` "token-refresh", 10 a minute by default). Renew when less than half of `expiresIn` is left, and before a sale opens, so that no one needs to log in while it runs.',
  tag: 'users',
  access: 'user',
  answers: { 200: { description: 'a new token', schema: loginAnswer, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['ACCOUNT_DISABLED', 'RATE_LIMITED', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

/** A password change: the old password proves the caller (it is checked as a login checks it), the new one follows the registration rule. */
export const passwordChange = z
  .strictObject({
    oldPassword: z
      .string()
      .min(1, 'must not be empty')
      .max(PASSWORD_MAX_LENGTH)
      .meta({ description: 'the current password' }),
    newPassword: password,
  })
  .meta({ id: 'PasswordChange' });

export const changePasswordOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/users/me/password',
  operationId: 'changePassword',
  summary: 'Change your password',
  description:
    'The token\'s user sets a new password (the registration rule), proving the old one. The old password is checked under the login\'s limits, on the same counters (`RateLimit-Policy` "login-address", the per address and username back-off, the per username ceiling: see `POST /api/v1/auth/login`), so this cannot be used to guess passwords faster than logging in; a wrong one answers `401 INVALID_CREDENTIALS` and counts as a failed login. The answer is a fresh token: tokens issued before the change can no longer be renewed (`POST /api/v1/auth/refresh` answers 401), and those already out live until they expire (1 h by default). A disabled account gets `403 ACCOUNT_DISABLED`; a token from before an earlier password change gets `401 UNAUTHENTICATED`. The configured administrator changes its password here too; the configured password then no longer logs in (it only seeds the account when the account does not exist).',
  tag: 'users',
  access: 'user',
  body: { schema: passwordChange, required: true, description: 'the old and the new password' },
  answers: {
    200: {
      description: 'changed: a new token, carrying the new password version',
      schema: loginAnswer,
      headers: RATE_LIMIT_ANSWER_HEADERS,
    },
  },
  errors: [
    'INVALID_CREDENTIALS',
    'ACCOUNT_DISABLED',
    'RATE_LIMITED',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};

/** Enabling takes no fields: no body, or `{}`. */
export const noUserFields = z.strictObject({});

/** The account an administrator acts on, by username: user streams are keyed by it (README, "Users"). */
export const usernameParam = z.strictObject({ username }).meta({ id: 'UsernameParameter' });

export const disableBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(REASON_MAX_LENGTH)
      .refine(isWellFormedText, 'must be well-formed text')
      .optional()
      .meta({ description: `why, for the record (1 to ${String(REASON_MAX_LENGTH)} characters, trimmed)` }),
  })
  .meta({ id: 'DisableUser' });

export const userAccount = z
  .strictObject({
    userId,
    username: z.string().regex(USERNAME_PATTERN),
    role: z.enum(['user', 'admin']),
    disabled: z.boolean(),
  })
  .meta({ id: 'UserAccount', description: 'the account as the command left it' });

const _userAccount: Same<z.output<typeof userAccount>, UserAccount> = true;

/** What an administrator's user commands answer besides their own codes. */
const ADMIN_USER_ERRORS = [
  'USER_NOT_FOUND',
  'OWN_ACCOUNT',
  'ACCOUNT_DISABLED',
  'CONCURRENCY_CONFLICT',
  'DEPENDENCY_UNAVAILABLE',
  'OVERLOADED',
] as const;

const ADMIN_CALLER =
  "The caller's own account is read again: a disabled administrator gets `403 ACCOUNT_DISABLED`, and a token from before the caller's last password change (or one naming no username) `401 UNAUTHENTICATED`. Accounts are named by username, the key of their stream (the login answer and the token's `username` claim carry it).";

export const disableUserOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/admin/users/:username/disable',
  operationId: 'disableUser',
  summary: 'Disable an account',
  description: `Administrators only. The account can no longer log in (\`403 ACCOUNT_DISABLED\`, once its password is proven), renew a token or change its password; tokens already out keep working until they expire (1 h by default). An administrator cannot disable their own account (\`403 OWN_ACCOUNT\`), nor the configured administrator (\`403 ACCOUNT_PROTECTED\`); a disabled account answers \`409 USER_ALREADY_DISABLED\`. ${ADMIN_CALLER}`,
  tag: 'users',
  access: 'admin',
  params: usernameParam,
  body: { schema: disableBody, required: false, description: 'nothing, `{}`, or `{reason}`' },
  answers: { 200: { description: 'disabled', schema: userAccount } },
  errors: [...ADMIN_USER_ERRORS, 'ACCOUNT_PROTECTED', 'USER_ALREADY_DISABLED'],
};

export const enableUserOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/admin/users/:username/enable',
  operationId: 'enableUser',
  summary: 'Enable an account again',
  description: `Administrators only. The account logs in again with its password. An account that is not disabled answers \`409 USER_ALREADY_ENABLED\`; an administrator cannot enable their own account (\`403 OWN_ACCOUNT\`). ${ADMIN_CALLER}`,
  tag: 'users',
  access: 'admin',
  params: usernameParam,
  body: { schema: noUserFields, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { description: 'enabled', schema: userAccount } },
  errors: [...ADMIN_USER_ERRORS, 'USER_ALREADY_ENABLED'],
};
