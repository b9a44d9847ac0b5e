import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '../../domain/user/user-events';
import { InvalidTokenError, SUBJECT_PATTERN, type JwtOptions, type Principal } from './jwt-tokens';

/** What a stream ticket grants: one buyer's notification stream, until the token it was made from expires. */
export interface StreamGrant {
  readonly principal: Principal;
  /** Epoch ms: the stream ends then (the bearer token the ticket was made from expires). */
  readonly expiresAtMs: number;
}

/** The claim holding the expiry of the bearer token a ticket was made from (seconds since the epoch). */
const SESSION_EXPIRY_CLAIM = 'sexp';

/**
 * Short-lived tickets for the notification stream, for clients that cannot send an `Authorization` header (a
 * browser's EventSource): an HS256 JWT signed with the API's secret but for its own audience
 * (`<audience>/notification-stream`), so a ticket is refused everywhere a bearer token is asked for and a bearer token
 * is refused as a ticket. It may be used to connect for `ttlSeconds`; the stream it opens lives as long as the token
 * it was made from (its `sexp` claim).
 */
export class StreamTickets {
  private readonly key: KeyObject;
  private readonly audience: string;

  constructor(
    private readonly options: Pick<JwtOptions, 'secret' | 'issuer' | 'audience' | 'clockSkewSeconds'>,
    private readonly ttlSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
    this.audience = `${options.audience}/notification-stream`;
  }

  /** A ticket for the holder of a bearer token that expires at `sessionExpiresAtMs`; it never outlives it. */
  issue(principal: Principal, sessionExpiresAtMs: number): { ticket: string; expiresIn: number } {
    const now = this.nowSeconds();
    const sessionExp = Math.floor(sessionExpiresAtMs / 1000);
    const expiresIn = Math.max(1, Math.min(this.ttlSeconds, sessionExp - now));
    const ticket = jwt.sign(
      { role: principal.role, iat: now, [SESSION_EXPIRY_CLAIM]: sessionExp },
      this.key,
      {
        algorithm: 'HS256',
        subject: principal.userId,
        issuer: this.options.issuer,
        audience: this.audience,
        expiresIn,
      },
    );
    return { ticket, expiresIn };
  }

  /** The grant of a valid ticket; InvalidTokenError, saying why, for anything else. */
  verify(ticket: string): StreamGrant {
    let claims: string | jwt.JwtPayload;
    try {
      claims = jwt.verify(ticket, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.audience,
        clockTolerance: this.options.clockSkewSeconds,
        clockTimestamp: this.nowSeconds(),
      });
    } catch (error) {
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid ticket');
    }
    if (typeof claims === 'string') throw new InvalidTokenError('ticket has no claims');
    const { exp, iat, sub } = claims;
    const sessionExp: unknown = claims[SESSION_EXPIRY_CLAIM];
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sessionExp !== 'number')
      throw new InvalidTokenError('ticket must carry exp, iat and sexp');
    if (exp - iat > this.ttlSeconds + this.options.clockSkewSeconds)
      throw new InvalidTokenError(`ticket lifetime exceeds ${this.ttlSeconds} s`);
    if (typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub))
      throw new InvalidTokenError('ticket has no valid subject');
    const role: Role | null = claims.role === 'admin' ? 'admin' : claims.role === 'user' ? 'user' : null;
    if (role === null) throw new InvalidTokenError('ticket has no valid role');
    return { principal: { userId: sub, role }, expiresAtMs: sessionExp * 1000 };
  }
}
