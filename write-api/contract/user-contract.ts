import { z } from 'zod';
import { isWellFormedText } from '../../domain/shared/text';
import { USERNAME_PATTERN, USERNAME_RULE, validUsername } from '../../domain/user/username';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { answerHeader, RATE_LIMIT_ANSWER_HEADERS, type ApiOperation } from '../../infra/http/openapi';

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
 * must keep matching); text with a lone surrogate has no single byte encoding and is refused.
 */
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256)
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
    'A bearer token for the user. Unknown names and wrong passwords answer alike, and take as long. Before any password is checked, three limits apply (`429 RATE_LIMITED` with `Retry-After`): attempts per client address (`RateLimit-Policy` "login-address", 30 a minute by default); per client address and username an exponential back-off after wrong passwords in a row ("login-backoff": after 5 free ones, 1 s, 2 s, 4 s, … up to 300 s; a success from that address resets it; wrong passwords from one address never slow a login from another); and per username a ceiling of wrong passwords from all addresses together ("login-username", 100 an hour by default; past it logins for the username wait for the end of the hour, never longer). A login refused with 503 spends no quota. Password checks run a few at a time; when too many wait, the login is refused at once with `503 OVERLOADED`. Keep a session alive with `POST /api/v1/auth/refresh` rather than logging in again.',
  tag: 'users',
  access: 'anyone',
  body: { schema: credentials, required: true, description: 'the username and password' },
  answers: { 200: { description: 'a token', schema: loginAnswer, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const refreshOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/auth/refresh',
  operationId: 'refreshToken',
  summary: 'Renew a token',
  description:
    'A new token for the holder of a valid one, for a full lifetime from now: no password, no hashing. A token is renewed only while the login it descends from is younger than the longest session (24 h by default); after that its user logs in again. Each user may renew a few times per window (`RateLimit-Policy` "token-refresh", 10 a minute by default). Renew when less than half of `expiresIn` is left, and before a sale opens, so that no one needs to log in while it runs.',
  tag: 'users',
  access: 'user',
  answers: { 200: { description: 'a new token', schema: loginAnswer, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['RATE_LIMITED'],
};
