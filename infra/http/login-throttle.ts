import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { InvalidCredentialsError } from '../../commands/user-handlers';
import { addressKey } from './client-address';
import { rateLimited, takeQuota, type QuotaPolicy } from './rate-limit';

/**
 * The stores of the login limits (rate-limiter-flexible; Redis-backed in production so that they hold across
 * replicas, in memory in unit specs).
 */
export interface LoginLimiters {
  /** Login attempts per client address: `points` per `duration`, refused past it. */
  readonly perAddress: RateLimiterAbstract;
  /** Failed logins in a row per username: only counted (its points are never consumed, only penalised). */
  readonly failures: RateLimiterAbstract;
  /** One point per username: the one attempt allowed during a back-off wait, held for that wait. */
  readonly waits: RateLimiterAbstract;
}

/** The per-username back-off: after `freeFailures` in a row, the kth next failure costs baseSeconds × 2^(k-1). */
export interface BackoffSettings {
  readonly freeFailures: number;
  readonly baseSeconds: number;
  /** The cap of a wait: a username is never locked out, at most slowed to one attempt per this many seconds. */
  readonly maxSeconds: number;
}

/**
 * Wait in seconds after the kth failure past the free ones (k ≥ 1): base, 2 × base, 4 × base, …, capped.
 * `backoffSeconds({ baseSeconds: 1, maxSeconds: 300 }, 4)` is 8.
 */
export const backoffSeconds = (settings: Omit<BackoffSettings, 'freeFailures'>, k: number): number =>
  Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** Math.min(k - 1, 30));

/**
 * Admission of logins, before any password is hashed, so that a flood costs a Redis round trip or two instead of
 * scrypt. Two limits:
 *
 * - per client address, `perAddress.quota` attempts per window (429 with the RateLimit fields of that quota);
 * - per username, exponential back-off after wrong passwords: every attempt is counted as a failure before it is
 *   checked (so concurrent guesses cannot all slip through as "free"), a success forgets the count, and any other
 *   outcome (a dependency down, hashing overloaded) is taken back. Past the free failures an attempt must take the
 *   username's one wait slot, held for the wait its failure would earn; while the slot is held, attempts get 429 with
 *   `Retry-After` until it frees, and are not counted. The wait is capped and never permanent: a lockout would hand
 *   anyone who knows a username a way to shut its owner out (a denial of service of its own). Unknown usernames are
 *   throttled alike, so the throttle does not tell which names exist.
 */
export class LoginThrottle {
  constructor(
    private readonly limiters: LoginLimiters,
    private readonly perAddress: QuotaPolicy,
    private readonly backoff: BackoffSettings,
  ) {}

  /**
   * Runs `verify` (the password check) if both limits admit the attempt.
   *
   * @param address the client address (infra/http/client-address.ts); IPv6 is counted by its /64.
   * @param username the normalised username.
   * @returns what `verify` returned, and the RateLimit fields of the per-address quota for the answer.
   * @throws ApiError 429 RATE_LIMITED (Retry-After, RateLimit-Policy, RateLimit) when a limit refuses; nothing was
   *   hashed. Whatever `verify` throws, as it threw it (InvalidCredentialsError counts as a failure).
   */
  async attempt<T>(
    address: string,
    username: string,
    verify: () => Promise<T>,
  ): Promise<{ readonly result: T; readonly headers: Record<string, string> }> {
    const headers = await takeQuota(
      this.limiters.perAddress,
      addressKey(address),
      this.perAddress,
      'too many logins from this address; retry after the time given',
    );
    const failures = (await this.limiters.failures.penalty(username)).consumedPoints;
    const pastFree = failures - this.backoff.freeFailures;
    if (pastFree > 0) await this.takeWait(username, backoffSeconds(this.backoff, pastFree));
    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (!(error instanceof InvalidCredentialsError)) await this.limiters.failures.reward(username);
      throw error;
    }
    await Promise.all([this.limiters.failures.delete(username), this.limiters.waits.delete(username)]);
    return { result, headers };
  }

  /** Takes the username's wait slot for `seconds`, or refuses the attempt (uncounted) while another holds it. */
  private async takeWait(username: string, seconds: number): Promise<void> {
    try {
      await this.limiters.waits.consume(username, 1, { customDuration: seconds });
    } catch (refusal) {
      await this.limiters.failures.reward(username);
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const waitSeconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw rateLimited(
        { name: 'login-backoff', quota: 1, windowSeconds: waitSeconds },
        refusal.msBeforeNext,
        'too many failed logins for this username; retry after the time given',
      );
    }
  }
}
