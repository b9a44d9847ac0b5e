import type { Router } from 'express';
import { z } from 'zod';
import type { UserHandlers } from '../../commands/user-handlers';
import { isWellFormedText } from '../../domain/shared/text';
import { USERNAME_RULE, validUsername } from '../../domain/user/username';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { anonymousContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';

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
  });

/**
 * Any characters, 8 to 256 of them, compared exactly as given (no normalisation: hashes stored before a rule change
 * must keep matching); text with a lone surrogate has no single byte encoding and is refused.
 */
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256)
  .refine(isWellFormedText, 'must be well-formed text');

const credentials = z.strictObject({ username, password });

export const userRoutes = (users: UserHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.post('/users', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const identity = await users.register(body.username, body.password, 'user', anonymousContext(res));
    res
      .status(201)
      .location(`/api/v1/users/${identity.userId}`)
      .json({ userId: identity.userId, username: identity.username });
  });

  router.post('/auth/login', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const identity = await users.authenticate(body.username, body.password);
    res
      .status(200)
      .json({ ...tokens.issue(identity), tokenType: 'Bearer', userId: identity.userId, role: identity.role });
  });

  return router;
};
