import type { Response, Router } from 'express';
import type { Identity, UserHandlers } from '../../commands/user-handlers';
import { InvalidTokenError, type JwtTokens } from '../../infra/auth/jwt-tokens';
import { forbidden, unauthenticated } from '../../infra/http/api-error';
import { authenticate } from '../../infra/http/auth';
import { bearerToken, principalFromAuthorization } from '../../infra/http/bearer';
import { addressKey, type ClientAddress } from '../../infra/http/client-address';
import { isServerRefusal, type LoginThrottle } from '../../infra/http/login-throttle';
import { takeQuota, type Quota } from '../../infra/http/rate-limit';
import { anonymousContext, commandContext, principalOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import {
  credentials,
  disableBody,
  noUserFields as noFields,
  passwordChange,
  usernameParam,
  type LoginAnswer,
  type RegisteredUser,
} from '../contract/user-contract';

/** What admits requests to the user routes before they cost a password hash (README, "Admission control"). */
export interface UserAdmission {
  readonly clientAddress: ClientAddress;
  /** Registrations per client address. */
  readonly registration: Quota;
  readonly login: LoginThrottle;
  /** Token renewals per user. */
  readonly refresh: Quota;
}

/** The login answer for an identity: a fresh token (its login now). */
const loginAnswerFor = (tokens: JwtTokens, identity: Identity): LoginAnswer => ({
  ...tokens.issue(identity),
  tokenType: 'Bearer',
  userId: identity.userId,
  role: identity.role,
});

export const userRoutes = (users: UserHandlers, tokens: JwtTokens, admission: UserAdmission): Router => {
  const router = exactRouter();
  const anyUser = authenticate(tokens);
  const admin = authenticate(tokens, 'admin');

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
    res.status(200).set(headers).json(loginAnswerFor(tokens, identity));
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
    // The account is read again (a renewal is rare): a disabled one, or a login from before a password change, ends
    // here. A 503 (the event store down or busy) renewed nothing: it spends none of the user's quota.
    try {
      await users.session(principal);
    } catch (error) {
      if (isServerRefusal(error)) await admission.refresh.limiter.reward(principal.userId);
      throw error;
    }
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

  router.post('/users/me/password', recordRoute, anyUser, async (req, res) => {
    const body = parseWith(passwordChange, req.body, 'body');
    const principal = principalOf(res);
    if (principal.username === undefined)
      throw unauthenticated('the token predates tokens naming their user: log in again');
    // The old password is checked under the login's limits, on its counters: as costly to guess here as at login.
    const { result: identity, headers } = await admission.login.attempt(
      admission.clientAddress(req),
      principal.username,
      () => users.changePassword(principal, body.oldPassword, body.newPassword, commandContext(res)),
    );
    res.status(200).set(headers).json(loginAnswerFor(tokens, identity));
  });

  /** The caller's own account, read again: a disabled administrator, or a stale token, goes no further. */
  const activeAdmin = async (res: Response): Promise<void> => {
    const caller = await users.session(principalOf(res));
    if (caller.role !== 'admin') throw forbidden('this needs the admin role');
  };

  router.post('/admin/users/:username/disable', recordRoute, admin, async (req, res) => {
    const { username } = parseWith(usernameParam, req.params, 'path');
    const { reason } = parseWith(disableBody, req.body, 'body');
    await activeAdmin(res);
    res.status(200).json(await users.disable(username, reason, commandContext(res)));
  });

  router.post('/admin/users/:username/enable', recordRoute, admin, async (req, res) => {
    const { username } = parseWith(usernameParam, req.params, 'path');
    parseWith(noFields, req.body, 'body');
    await activeAdmin(res);
    res.status(200).json(await users.enable(username, commandContext(res)));
  });

  return router;
};
