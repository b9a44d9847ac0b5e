import { Router } from 'express';
import { z } from 'zod';
import type { UserHandlers } from '../../commands/user-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { anonymousContext } from '../../infra/http/request-context';
import { parseWith } from '../../infra/http/validation';

const credentials = z.strictObject({
  username: z.string().min(3).max(64),
  password: z.string().min(8, 'must be at least 8 characters').max(256),
});

export const userRoutes = (users: UserHandlers, tokens: JwtTokens): Router => {
  const router = Router();

  router.post('/users', async (req, res) => {
    const { username, password } = parseWith(credentials, req.body, 'body');
    const identity = await users.register(username, password, 'user', anonymousContext(res));
    res
      .status(201)
      .location(`/api/v1/users/${identity.userId}`)
      .json({ userId: identity.userId, username: identity.username });
  });

  router.post('/auth/login', async (req, res) => {
    const { username, password } = parseWith(credentials, req.body, 'body');
    const identity = await users.authenticate(username, password);
    res
      .status(200)
      .json({ ...tokens.issue(identity), tokenType: 'Bearer', userId: identity.userId, role: identity.role });
  });

  return router;
};
