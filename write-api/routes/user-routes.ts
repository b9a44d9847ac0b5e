import type { Router } from 'express';
import type { Identity, UserHandlers } from '../../commands/user-handlers';
import { InvalidTokenError, type JwtTokens } from '../../infra/auth/jwt-tokens';
import { unauthenticated } from '../../infra/http/api-error';
import { bearerToken, principalFromAuthorization } from '../../infra/http/bearer';
import { addressKey, type ClientAddress } from '../../infra/http/client-address';
import { isServerRefusal, type LoginThrottle } from '../../infra/http/login-throttle';
import { takeQuota, type Quota } from '../../infra/http/rate-limit';
import { anonymousContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { credentials, type LoginAnswer, type RegisteredUser } from '../contract/user-contract';

/** What admits requests to the user routes before they cost a password hash (README, "Admission control"). */
export interface UserAdmission {
  readonly clientAddress: ClientAddress;
  /** Registrations per client address. */
  readonly registration: Quota;
  readonly login: LoginThrottle;
  /** Token renewals per user. */
  readonly refresh: Quota;
}

export const userRoutes = (users: UserHandlers, tokens: JwtTokens, admission: UserAdmission): Router => {
  const router = exactRouter();

  router.post('/users', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const address = addressKey(admission.clientAddress(req));
    const quota = await takeQuota(
      admission.registration.limiter,
      address,
      admission.registration.policy,
      'too many registrations from this address; retry after the time given',
    );
    let identity: Identity;
    try {
      identity = await users.register(body.username, body.password, 'user', anonymousContext(res));
    } catch (error) {
      // A 503 (hashing queue full, a dependency down) registered nothing: it spends none of the address's quota.
      if (isServerRefusal(error)) await admission.registration.limiter.reward(address);
      throw error;
    }
    const answer: RegisteredUser = { userId: identity.userId, username: identity.username };
    res.status(201).set(quota).location(`/api/v1/users/${identity.userId}`).json(answer);
  });

  router.post('/auth/login', recordRoute, async (req, res) => {
    const body = parseWith(credentials, req.body, 'body');
    const { result: identity, headers } = await admission.login.attempt(
      admission.clientAddress(req),
      body.username,
      () => users.authenticate(body.username, body.password),
    );
    const answer: LoginAnswer = {
      ...tokens.issue(identity),
      tokenType: 'Bearer',
      userId: identity.userId,
      role: identity.role,
    };
    res.status(200).set(headers).json(answer);
  });

  router.post('/auth/refresh', recordRoute, async (req, res) => {
    // Verified (an HMAC, microseconds) before the quota, so that only real users' counters are ever kept.
    const principal = principalFromAuthorization(tokens, req.get('authorization'));
    const quota = await takeQuota(
      admission.refresh.limiter,
      principal.userId,
      admission.refresh.policy,
      'too many token renewals for this user; retry after the time given',
    );
    let renewed: ReturnType<JwtTokens['renew']>;
    try {
      renewed = tokens.renew(bearerToken(req.get('authorization')) ?? '');
    } catch (error) {
      throw error instanceof InvalidTokenError ? unauthenticated(`cannot renew: ${error.message}`) : error;
    }
    const answer: LoginAnswer = {
      token: renewed.token,
      expiresIn: renewed.expiresIn,
      tokenType: 'Bearer',
      userId: renewed.principal.userId,
      role: renewed.principal.role,
    };
    res.status(200).set(quota).json(answer);
  });

  return router;
};
