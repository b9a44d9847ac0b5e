import { z } from 'zod';
import { isWellFormedText } from '../../domain/shared/text';
import { USERNAME_PATTERN, USERNAME_RULE, validUsername } from '../../domain/user/username';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { answerHeader, type ApiOperation } from '../../infra/http/openapi';

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
    'Anyone may register. The username is normalised before it is checked and stored, and registration and login apply the same rule.',
  tag: 'users',
  access: 'anyone',
  body: { schema: credentials, required: true, description: 'the new username and password' },
  answers: {
    201: {
      description: 'registered',
      schema: registeredUser,
      headers: { Location: answerHeader("the user's path", { type: 'string', pattern: '^/api/v1/users/' }) },
    },
  },
  errors: ['USERNAME_TAKEN', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const loginOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/auth/login',
  operationId: 'login',
  summary: 'Log in',
  description:
    'A bearer token for the user. Unknown names and wrong passwords answer alike, and take as long.',
  tag: 'users',
  access: 'anyone',
  body: { schema: credentials, required: true, description: 'the username and password' },
  answers: { 200: { description: 'a token', schema: loginAnswer } },
  errors: ['INVALID_CREDENTIALS', 'DEPENDENCY_UNAVAILABLE'],
};
