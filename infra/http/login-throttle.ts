import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { InvalidCredentialsError } from '../../commands/user-handlers';
import { addressKey } from './client-address';
import { rateLimited, takeQuota, type QuotaPolicy } from './rate-limit';

/**
 * The stores of the login limits (rate-limiter-flexible; Redis-backed in production so that they hold across
 * replicas, in memory in unit specs). The back-off stores are keyed by client address and username together
 * (`<addressKey>|<username>`), the ceiling by username alone.
 */
export interface LoginLimiters {
  /** Login attempts per client address: `points` per `duration`, refused past it. */
  readonly perAddress: RateLimiterAbstract;
  /**
   * Passwords being checked now per address and username: one point from before the check to its end, then given
   * back. Its window is short (a minute): it only bridges the check, so that concurrent guesses are not all "free".
   */
  readonly checking: RateLimiterAbstract;
  /**
   * Wrong passwords in a row per address and username: a point only for a real failure, after the check, in a
   * window of the failure memory from the first failure. Only counted (its points are never consumed).
   */
  readonly failures: RateLimiterAbstract;
  /** One point per address and username: the one attempt allowed during a back-off wait, held for that wait. */
  readonly waits: RateLimiterAbstract;
  /** Wrong passwords per username from all addresses: `points` per `duration` (the ceiling), read before a check. */
  readonly usernameFailures: RateLimiterAbstract;
}

/** The back-off per address and username: after `freeFailures`, the kth next failure costs baseSeconds × 2^(k-1). */
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

/** A 503 of a login or registration: nothing was checked, so it spends no quota (commands/*-error.ts). */
export const isServerRefusal = (error: unknown): boolean =>
  error instanceof OverloadedError || error instanceof DependencyUnavailableError;

/** The key of the back-off stores: the client (IPv6 by its /64) and the username it tries. */
const backoffKey = (address: string, username: string): string => `${addressKey(address)}|${username}`;

/**
 * Admission of logins, before any password is hashed, so that a flood costs a few Redis round trips instead of
 * scrypt. Three limits (OWASP Authentication Cheat Sheet, "Account lockout": throttle, never lock):
 *
 * - per client address, `perAddress.quota` attempts per window (429 with the RateLimit fields of that quota);
 * - per client address **and** username, exponential back-off after wrong passwords. Past the free failures an
 *   attempt must take that pair's one wait slot, held for the wait its failure would earn; while the slot is held,
 *   attempts get 429 with `Retry-After` until it frees, and are not counted. Wrong passwords from one address never
 *   slow the owner logging in from another, so an attacker who knows a username cannot shut its owner out. A
 *   success forgets that pair's failures (not those of other addresses);
 * - per username from all addresses, a ceiling of `usernameCeiling.quota` wrong passwords per window (429
 *   `login-username` past it, until the window ends), which bounds guessing spread over many addresses. This is the
 *   trade-off: a botnet can spend a username's ceiling and keep its owner out until the window ends (an hour by
 *   default), then again; that is the bound on what guessing costs the owner, never a lockout for ever.
 *
 * Redis keys are created only as needed: the ceiling is read (not written) before the check and counted only on a
 * real failure; a pair's failure count is written only on a real failure (window: the failure memory, 1 h by
 * default); the one key every attempt writes is the pair's "checking" point, which lives a minute at most. So an
 * address guessing made-up usernames creates at most its login quota of keys per window. Unknown usernames are
 * throttled alike, so the throttle does not tell which names exist. An attempt that ends in 503 (hashing overloaded,
 * a dependency down: OverloadedError, DependencyUnavailableError) gives back its address's point; any outcome other
 * than a wrong password counts no failure and frees any wait slot it took.
 */
export class LoginThrottle {
  constructor(
    private readonly limiters: LoginLimiters,
    private readonly perAddress: QuotaPolicy,
    private readonly backoff: BackoffSettings,
    /** Wrong passwords per username from all addresses per window (name `login-username`). */
    private readonly usernameCeiling: QuotaPolicy,
  ) {}

  /**
   * Runs `verify` (the password check) if the limits admit the attempt.
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
    const addressPoint = addressKey(address);
    // Round trips are what a login pays for its admission under load (each waits behind the flood in the event
    // loop), so independent ones go together: the address's quota with the username's ceiling (a read) ...
    const [headers, ceiling] = await Promise.all([
      takeQuota(
        this.limiters.perAddress,
        addressPoint,
        this.perAddress,
        'too many logins from this address; retry after the time given',
      ),
      this.limiters.usernameFailures.get(username),
    ]);
    this.checkCeiling(ceiling);
    const key = backoffKey(address, username);
    // ... and the pair's checking point with its failures, in that order on the one connection: a failure is counted
    // before its checking point is given back, so a concurrent attempt never sees fewer than the failures and checks
    // there are (at worst one more, for a moment).
    const [checking, failed] = await Promise.all([
      this.limiters.checking.penalty(key),
      this.limiters.failures.get(key),
    ]);
    const pastFree = (failed?.consumedPoints ?? 0) + checking.consumedPoints - this.backoff.freeFailures;
    let waiting = false;
    let result: T;
    try {
      if (pastFree > 0) {
        await this.takeWait(key, backoffSeconds(this.backoff, pastFree));
        waiting = true;
      }
      result = await verify();
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        await Promise.all([
          this.limiters.failures.penalty(key),
          this.limiters.usernameFailures.penalty(username),
        ]);
      } else {
        if (waiting) await this.limiters.waits.delete(key);
        if (isServerRefusal(error)) await this.limiters.perAddress.reward(addressPoint);
      }
      await this.limiters.checking.reward(key);
      throw error;
    }
    await Promise.all([
      this.limiters.checking.reward(key),
      this.limiters.failures.delete(key),
      this.limiters.waits.delete(key),
    ]);
    return { result, headers };
  }

  /** Refuses the attempt (before its check) while the username's failures from all addresses are at the ceiling. */
  private checkCeiling(all: RateLimiterRes | null): void {
    if (all === null || all.consumedPoints < this.usernameCeiling.quota) return;
    throw rateLimited(
      this.usernameCeiling,
      all.msBeforeNext,
      'too many failed logins for this username from all addresses; retry after the time given',
    );
  }

  /** Takes the pair's wait slot for `seconds`, or refuses the attempt (uncounted) while another holds it. */
  private async takeWait(key: string, seconds: number): Promise<void> {
    try {
      await this.limiters.waits.consume(key, 1, { customDuration: seconds });
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const waitSeconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw rateLimited(
        { name: 'login-backoff', quota: 1, windowSeconds: waitSeconds },
        refusal.msBeforeNext,
        'too many failed logins for this username from this address; retry after the time given',
      );
    }
  }
}
