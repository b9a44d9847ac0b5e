import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../domain/user/user-events';

export interface Principal {
  readonly userId: string;
  readonly role: Role;
}

export interface JwtOptions {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** HS256 bearer tokens: `sub` is the user id, `role` user or admin; issuer, audience and expiry are all checked. */
export class JwtTokens {
  /**
   * Given a string, jsonwebtoken first tries to parse it as a PEM public key (and throws) on every call: that failed
   * parse cost about half a millisecond per request. A secret KeyObject, made once, skips it; the bytes are the same.
   */
  private readonly key: KeyObject;

  constructor(private readonly options: JwtOptions) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  issue(principal: Principal & { username?: string }): { token: string; expiresIn: number } {
    const token = jwt.sign(
      { role: principal.role, ...(principal.username ? { username: principal.username } : {}) },
      this.key,
      {
        algorithm: 'HS256',
        subject: principal.userId,
        issuer: this.options.issuer,
        audience: this.options.audience,
        expiresIn: this.options.ttlSeconds,
      },
    );
    return { token, expiresIn: this.options.ttlSeconds };
  }

  verify(token: string): Principal {
    let claims: string | jwt.JwtPayload;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      });
    } catch (error) {
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    if (typeof claims === 'string' || typeof claims.sub !== 'string' || claims.sub.length === 0)
      throw new InvalidTokenError('token has no subject');
    const role = claims.role === 'admin' ? 'admin' : claims.role === 'user' ? 'user' : null;
    if (role === null) throw new InvalidTokenError('token has no valid role');
    return { userId: claims.sub, role };
  }
}
