import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../domain/user/user-events';
import { USERNAME_PATTERN } from '../../domain/user/username';

export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /**
   * When the account was registered, epoch ms (whole seconds), from the token's `rat` claim; absent in tokens issued
   * before the claim existed, which therefore count as accounts made just now (a coupon's account-age rule refuses
   * them until the buyer logs in again).
   */
  readonly registeredAtMs?: number;
  /**
   * The (normalised) username, from the `username` claim: the key of the user's stream, so that a renewal, a password
   * change and an administrator's command can read the account. Every token a login issues carries it.
   */
  readonly username?: string;
  /**
   * How many times the account's password had been changed when the login that this token descends from happened
   * (PASSWORD_VERSION_CLAIM; absent: 0). A renewal refuses a token whose count is not the account's.
   */
  readonly passwordVersion?: number;
}

/**
 * The claim holding the account's registration time, a NumericDate (RFC 7519 §2: seconds since the epoch), rounded up
 * so an account never looks older than it is.
 */
export const REGISTERED_AT_CLAIM = 'rat';

/** The claim holding the password version (Principal.passwordVersion), present when it is above 0. */
export const PASSWORD_VERSION_CLAIM = 'pwv';

export interface JwtOptions {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime of the tokens we issue, and the longest `exp - iat` we accept. */
  readonly ttlSeconds: number;
  /** Allowed difference between clocks: `iat` up to this far in the future, `exp` this far in the past. */
  readonly clockSkewSeconds: number;
  /**
   * A token is renewed only while its login (`auth_time`) is younger than this; then its user must log in again.
   * Absent: one TTL, so tokens are not renewed past the lifetime of the login's own token.
   */
  readonly maxSessionSeconds?: number;
}

/** A token as issued: the JWT, and how many seconds it lives. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/**
 * User ids travel in events and read-model keys (ASCII columns of 64) and in URL paths (`/users/:userId/…`, where
 * `.` and `..` would be dot segments, RFC 3986 §5.2.4): a subject outside this is not ours.
 */
export const SUBJECT_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._:-]{1,64}$/;

/**
 * HS256 bearer tokens (RFC 7519): `sub` is the user id, `role` user or admin, `rat` (when present) the account's
 * registration time (REGISTERED_AT_CLAIM), `username` (when present) the key of the user's stream, `pwv` (when
 * present) the password version of the login (PASSWORD_VERSION_CLAIM). Issuer, audience and signature are
 * checked, and the lifetime: `iat` and `exp` are required, `iat` not in the future and `exp - iat` within the
 * configured TTL (each with the clock-skew allowance), so a correctly signed token can never be made to live longer.
 */
export class JwtTokens {
  /**
   * Given a string, jsonwebtoken first tries to parse it as a PEM public key (and throws) on every call: that failed
   * parse cost about half a millisecond per request. A secret KeyObject, made once, skips it; the bytes are the same.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly options: JwtOptions,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  /**
   * A fresh token for the principal, its login (`auth_time`, seconds since the epoch, OpenID Connect Core §2) now
   * unless given: a renewal keeps the time of the login it descends from.
   */
  issue(
    principal: Principal,
    authTime: number = this.nowSeconds(),
    lifetimeSeconds: number = this.options.ttlSeconds,
  ): IssuedToken {
    const token = jwt.sign(
      {
        role: principal.role,
        iat: this.nowSeconds(),
        auth_time: authTime,
        ...(principal.username ? { username: principal.username } : {}),
        ...(principal.registeredAtMs === undefined
          ? {}
          : { [REGISTERED_AT_CLAIM]: Math.ceil(principal.registeredAtMs / 1000) }),
        ...(principal.passwordVersion ? { [PASSWORD_VERSION_CLAIM]: principal.passwordVersion } : {}),
      },
      this.key,
      {
        algorithm: 'HS256',
        subject: principal.userId,
        issuer: this.options.issuer,
        audience: this.options.audience,
        expiresIn: lifetimeSeconds,
      },
    );
    return { token, expiresIn: lifetimeSeconds };
  }

  /**
   * A new token for the holder of a valid one (no password, no hashing): same subject, role, username, registration
   * time and password version, the same `auth_time`, living a full TTL from now but never past the end of the session
   * (`auth_time` + maxSessionSeconds), so a chain of renewals cannot outlive the longest session. Tokens from before
   * `auth_time` was issued count from their `iat`.
   *
   * @throws InvalidTokenError when the token is not valid (verify), or its session has ended.
   */
  renew(token: string): IssuedToken & { readonly principal: Principal } {
    const { principal, claims } = this.check(token);
    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : (claims.iat ?? 0);
    const maxSession = this.options.maxSessionSeconds ?? this.options.ttlSeconds;
    const sessionLeft = authTime + maxSession - this.nowSeconds();
    if (sessionLeft <= 0)
      throw new InvalidTokenError(`the login is older than ${maxSession} s: log in again`);
    const lifetime = Math.min(this.options.ttlSeconds, sessionLeft);
    return { ...this.issue(principal, authTime, lifetime), principal };
  }

  /** The principal of a valid token. Throws InvalidTokenError, saying why, for any other. */
  verify(token: string): Principal {
    return this.check(token).principal;
  }

  /** The principal of a valid token and when it expires (epoch ms), for what may not outlive it (a live stream). */
  verifyWithExpiry(token: string): { readonly principal: Principal; readonly expiresAtMs: number } {
    const { principal, claims } = this.check(token);
    return { principal, expiresAtMs: (claims.exp ?? 0) * 1000 };
  }

  private check(token: string): { principal: Principal; claims: jwt.JwtPayload } {
    const skew = this.options.clockSkewSeconds;
    let claims: string | jwt.JwtPayload;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: skew,
        clockTimestamp: this.nowSeconds(),
      });
    } catch (error) {
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    if (typeof claims === 'string') throw new InvalidTokenError('token has no claims');
    const { exp, iat, sub } = claims;
    if (typeof exp !== 'number' || typeof iat !== 'number')
      throw new InvalidTokenError('token must carry exp and iat');
    if (iat > this.nowSeconds() + skew) throw new InvalidTokenError('token was issued in the future');
    if (exp - iat > this.options.ttlSeconds + skew)
      throw new InvalidTokenError(`token lifetime exceeds ${this.options.ttlSeconds} s`);
    if (typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub))
      throw new InvalidTokenError('token has no valid subject');
    const role = claims.role === 'admin' ? 'admin' : claims.role === 'user' ? 'user' : null;
    if (role === null) throw new InvalidTokenError('token has no valid role');
    const registeredAt = optionalClaim(claims, REGISTERED_AT_CLAIM, isSeconds);
    const username = optionalClaim(claims, 'username', isUsername);
    const passwordVersion = optionalClaim(claims, PASSWORD_VERSION_CLAIM, isVersion);
    const principal: Principal = {
      userId: sub,
      role,
      ...(registeredAt === undefined ? {} : { registeredAtMs: registeredAt * 1000 }),
      ...(username === undefined ? {} : { username }),
      ...(passwordVersion === undefined ? {} : { passwordVersion }),
    };
    return { principal, claims };
  }
}

/** A safe integer of at least `min`. */
const isCount =
  (min: number) =>
  (value: unknown): value is number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
const isSeconds = isCount(0);
const isVersion = isCount(1);

const isUsername = (value: unknown): value is string =>
  typeof value === 'string' && USERNAME_PATTERN.test(value);

/** The claim's value when it is there, undefined when it is not; InvalidTokenError when it is there but not valid. */
const optionalClaim = <T>(
  claims: jwt.JwtPayload,
  name: string,
  valid: (value: unknown) => value is T,
): T | undefined => {
  const value: unknown = claims[name];
  if (value === undefined) return undefined;
  if (!valid(value)) throw new InvalidTokenError(`token has an invalid ${name} claim`);
  return value;
};
