import type { Router } from 'express';
import type { UserHandlers } from '../../commands/user-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { anonymousContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { credentials, type LoginAnswer, type RegisteredUser } from '../contract/user-contract';

export const userRoutes = (users: UserHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.post('/users', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const identity = await users.register(body.username, body.password, 'user', anonymousContext(res));
    const answer: RegisteredUser = { userId: identity.userId, username: identity.username };
    res.status(201).location(`/api/v1/users/${identity.userId}`).json(answer);
  });

  router.post('/auth/login', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const identity = await users.authenticate(body.username, body.password);
    const answer: LoginAnswer = {
      ...tokens.issue(identity),
      tokenType: 'Bearer',
      userId: identity.userId,
      role: identity.role,
    };
    res.status(200).json(answer);
  });

  return router;
};
