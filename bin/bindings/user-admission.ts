import type { Container, ServiceIdentifier } from 'inversify';
import { Counter, Gauge } from 'prom-client';
import type { PasswordHasher } from '../../commands/password-hasher-port';
import { ScryptPasswordHasher } from '../../infra/auth/scrypt-password-hasher';
import { clientAddressResolver } from '../../infra/http/client-address';
import { LoginThrottle } from '../../infra/http/login-throttle';
import type { Quota, QuotaPolicy } from '../../infra/http/rate-limit';
import { redisRateLimiter } from '../../infra/redis/redis-rate-limiter';
import { BoundedPasswordHasher } from '../../infra/resilience/bounded-password-hasher';
import { TOKENS } from '../tokens';
import { singletons } from './singletons';

/** Password hashes being computed now (gauge). */
export const PASSWORD_HASHES_RUNNING = 'couponkill_password_hashes_running';
/** Password hashes waiting for a slot now (gauge). */
export const PASSWORD_HASHES_WAITING = 'couponkill_password_hashes_waiting';
/** Logins and registrations shed because the hashing queue was full (counter). */
export const PASSWORD_HASHES_SHED_TOTAL = 'couponkill_password_hashes_shed_total';

type Get = <U>(dep: ServiceIdentifier<U>) => U;

/** The window of a login's "checking" point (infra/http/login-throttle.ts): far longer than any password check. */
const LOGIN_CHECKING_SECONDS = 60;

/**
 * scrypt behind its bulkhead (`Config.admission.auth.passwordHashing`), with its load on /metrics: hashes running
 * and waiting, and those shed with 503 OVERLOADED.
 */
const boundedPasswordHasher = (get: Get): PasswordHasher => {
  const { scryptLog2Cost, admission } = get(TOKENS.Config);
  const hasher = new BoundedPasswordHasher(
    new ScryptPasswordHasher(scryptLog2Cost),
    admission.auth.passwordHashing,
    admission.overloadRetryAfterSeconds,
  );
  const registers = [get(TOKENS.Metrics)];
  new Gauge({
    name: PASSWORD_HASHES_RUNNING,
    help: 'Password hashes (scrypt, logins and registrations) being computed now',
    registers,
    collect() {
      this.set(hasher.stats.running);
    },
  });
  new Gauge({
    name: PASSWORD_HASHES_WAITING,
    help: 'Password hashes waiting for a slot now; past COUPONKILL_PASSWORD_HASHING_QUEUE they are shed',
    registers,
    collect() {
      this.set(hasher.stats.waiting);
    },
  });
  new Counter({
    name: PASSWORD_HASHES_SHED_TOTAL,
    help: 'Logins and registrations refused at once (503 OVERLOADED) because the password hashing queue was full',
    registers,
    collect() {
      this.reset();
      this.inc(hasher.stats.shed);
    },
  });
  return hasher;
};

/**
 * The client address resolver both APIs key their limits by, the scrypt bulkhead, and the limits of the user
 * routes: Redis-backed (`<prefix>:rl:<policy>:<key>`) so that they hold across replicas.
 */
export const bindUserAdmission = (container: Container): void => {
  const single = singletons(container);
  single(TOKENS.PasswordHasher, boundedPasswordHasher);
  single(TOKENS.ClientAddress, (get) => clientAddressResolver(get(TOKENS.Config).admission.trustedProxies));
  single(TOKENS.UserAdmission, (get) => {
    const { admission, redis } = get(TOKENS.Config);
    const { auth } = admission;
    const client = get(TOKENS.Redis);
    const limiter = (name: string, points: number, durationSeconds: number) =>
      redisRateLimiter(client, { keyPrefix: `${redis.keyPrefix}:rl:${name}`, points, durationSeconds });
    const quota = (policy: QuotaPolicy): Quota => ({
      policy,
      limiter: limiter(policy.name, policy.quota, policy.windowSeconds),
    });
    const loginPerAddress: QuotaPolicy = { name: 'login-address', ...auth.loginPerAddress };
    const loginPerUsername: QuotaPolicy = { name: 'login-username', ...auth.loginFailuresPerUsername };
    return {
      clientAddress: get(TOKENS.ClientAddress),
      registration: quota({ name: 'registration-address', ...auth.registrationPerAddress }),
      refresh: quota({ name: 'token-refresh', ...auth.refreshPerUser }),
      login: new LoginThrottle(
        {
          perAddress: limiter(loginPerAddress.name, loginPerAddress.quota, loginPerAddress.windowSeconds),
          // Only counted, never refused: its points are a ceiling nothing reaches. A point lives from before a
          // check to its end; the short window only bounds a point a crashed process never gave back.
          checking: limiter('login-checking', Number.MAX_SAFE_INTEGER, LOGIN_CHECKING_SECONDS),
          // Only counted, never refused; written on a real failure only, forgotten memorySeconds after the first.
          failures: limiter('login-failures', Number.MAX_SAFE_INTEGER, auth.loginBackoff.memorySeconds),
          // Each wait sets its own duration; this one is never used.
          waits: limiter('login-wait', 1, auth.loginBackoff.baseSeconds),
          usernameFailures: limiter(
            loginPerUsername.name,
            loginPerUsername.quota,
            loginPerUsername.windowSeconds,
          ),
        },
        loginPerAddress,
        auth.loginBackoff,
        loginPerUsername,
      ),
    };
  });
};
