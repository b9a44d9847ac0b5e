import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { InvalidCredentialsError } from '../../commands/user-handlers';
import { ApiError } from './api-error';
import { backoffSeconds, LoginThrottle, type LoginLimiters } from './login-throttle';

const throttle = (
  quota = 100,
  backoff = { freeFailures: 2, baseSeconds: 1, maxSeconds: 4 },
  ceiling = 1000,
): LoginThrottle & { readonly stores: LoginLimiters } => {
  const limiters = {
    perAddress: new RateLimiterMemory({ points: quota, duration: 60 }),
    checking: new RateLimiterMemory({ points: 1_000_000, duration: 60 }),
    failures: new RateLimiterMemory({ points: 1_000_000, duration: 3600 }),
    waits: new RateLimiterMemory({ points: 1, duration: 1 }),
    usernameFailures: new RateLimiterMemory({ points: ceiling, duration: 3600 }),
  };
  const t = new LoginThrottle(limiters, { name: 'login-address', quota, windowSeconds: 60 }, backoff, {
    name: 'login-username',
    quota: ceiling,
    windowSeconds: 3600,
  });
  return Object.assign(t, { stores: limiters });
};

const wrong = () => Promise.reject(new InvalidCredentialsError());
const right = () => Promise.resolve('token');

/** What one attempt answers: the result, 401 for a wrong password, or the 429's Retry-After. */
const outcome = async (
  t: LoginThrottle,
  verify: () => Promise<string>,
  address = '192.0.2.1',
  username = 'alice',
) => {
  try {
    return (await t.attempt(address, username, verify)).result;
  } catch (error) {
    if (error instanceof InvalidCredentialsError) return 401;
    if (error instanceof ApiError && error.status === 429) return `429 after ${error.headers['Retry-After']}`;
    throw error;
  }
};

describe('LoginThrottle', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-06-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('doubles the wait with each failure past the free ones, up to the cap, and a success resets it', async () => {
    const t = throttle();
    const verify = jest.fn(wrong);
    const seen: (string | number)[] = [];
    const step = async (advanceSeconds: number) => {
      jest.advanceTimersByTime(advanceSeconds * 1000);
      seen.push(await outcome(t, verify), await outcome(t, verify));
    };
    await step(0); // two free failures
    await step(0); // the third is checked, then its wait (1 s) holds the next
    await step(1); // checked, holds 2 s
    await step(2); // holds 4 s
    await step(4); // the cap: 4 s again
    expect(seen).toEqual([
      401,
      401,
      401,
      '429 after 1',
      401,
      '429 after 2',
      401,
      '429 after 4',
      401,
      '429 after 4',
    ]);
    expect(verify).toHaveBeenCalledTimes(6);

    jest.advanceTimersByTime(4000);
    expect(await outcome(t, right)).toBe('token');
    // Forgotten: two free failures again.
    expect([await outcome(t, wrong), await outcome(t, wrong), await outcome(t, wrong)]).toEqual([
      401, 401, 401,
    ]);
    expect(await outcome(t, wrong)).toBe('429 after 1');
  });

  it('lets one of many concurrent guesses from one address through during a back-off', async () => {
    const t = throttle(100, { freeFailures: 0, baseSeconds: 10, maxSeconds: 60 });
    const verify = jest.fn(wrong);
    const answers = await Promise.all(Array.from({ length: 20 }, () => outcome(t, verify, '198.51.100.1')));
    expect(verify).toHaveBeenCalledTimes(1);
    expect(answers.filter((a) => a === 401)).toHaveLength(1);
    expect(answers.filter((a) => a === '429 after 10')).toHaveLength(19);
  });

  it("never slows the owner's address for another address's wrong passwords, and a success resets only its own", async () => {
    const t = throttle();
    const attacker = jest.fn(wrong);
    const attackerAnswers = [];
    for (let i = 0; i < 5; i++) attackerAnswers.push(await outcome(t, attacker, '203.0.113.66'));
    expect(attackerAnswers).toEqual([401, 401, 401, '429 after 1', '429 after 1']);
    // The owner, at once, from elsewhere: in, however long the attacker keeps going.
    expect(await outcome(t, right, '192.0.2.7')).toBe('token');
    expect(await outcome(t, wrong, '192.0.2.7')).toBe(401); // the owner's own free failures are untouched
    // The owner's success did not reset the attacker's back-off.
    expect(await outcome(t, attacker, '203.0.113.66')).toBe('429 after 1');
    // Another /64 is another client; the same /64 is the same.
    expect(await outcome(t, attacker, '2001:db8::1')).toBe(401);
    expect(await outcome(t, attacker, '2001:db8::2')).toBe(401);
    expect(await outcome(t, attacker, '2001:db8::3')).toBe(401);
    expect(await outcome(t, attacker, '2001:db8::4')).toBe('429 after 1');
  });

  it('refuses a username from every address once its failures from all addresses reach the ceiling, for its window', async () => {
    const t = throttle(100, { freeFailures: 2, baseSeconds: 1, maxSeconds: 4 }, 6);
    const verify = jest.fn(wrong);
    for (let i = 0; i < 6; i++) expect(await outcome(t, verify, `198.51.100.${String(i)}`)).toBe(401);
    await expect(t.attempt('192.0.2.7', 'alice', right)).rejects.toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      headers: {
        'Retry-After': '3600',
        'RateLimit-Policy': '"login-username";q=6;w=3600',
        RateLimit: '"login-username";r=0;t=3600',
      },
    });
    expect(verify).toHaveBeenCalledTimes(6);
    // Other usernames are not concerned; a success does not count.
    expect(await outcome(t, right, '192.0.2.7', 'bob')).toBe('token');
    // The bound, not a lockout: once the hour is over the owner is in.
    jest.advanceTimersByTime(3600 * 1000);
    expect(await outcome(t, right, '192.0.2.7')).toBe('token');
  });

  it('writes a failure count only for a real failure, and keeps no checking point after an attempt', async () => {
    const t = throttle();
    expect(await outcome(t, right, '192.0.2.1', 'nobody')).toBe('token');
    expect(await t.stores.failures.get('192.0.2.1|nobody')).toBeNull();
    expect(await t.stores.usernameFailures.get('nobody')).toBeNull();
    expect((await t.stores.checking.get('192.0.2.1|nobody'))?.consumedPoints ?? 0).toBe(0);
    expect(await outcome(t, wrong, '192.0.2.1', 'made-up')).toBe(401);
    expect((await t.stores.failures.get('192.0.2.1|made-up'))?.consumedPoints).toBe(1);
    expect((await t.stores.usernameFailures.get('made-up'))?.consumedPoints).toBe(1);
    expect((await t.stores.checking.get('192.0.2.1|made-up'))?.consumedPoints ?? 0).toBe(0);
  });

  it.each([
    ['hashing overloaded', new OverloadedError('password hashing queue', 1)],
    ['a dependency down', new DependencyUnavailableError('event store', new Error('gone'))],
  ])('gives the address its point back for a login refused with 503 (%s)', async (_, refusal) => {
    const t = throttle(2, { freeFailures: 0, baseSeconds: 10, maxSeconds: 60 });
    for (let i = 0; i < 5; i++)
      await expect(t.attempt('192.0.2.1', 'alice', () => Promise.reject(refusal))).rejects.toBe(refusal);
    // Nothing counted, no wait slot kept: the quota of 2 and the first (free of wait) check are intact.
    expect(await outcome(t, right)).toBe('token');
    expect(await outcome(t, right)).toBe('token');
    expect(await outcome(t, right)).toMatch(/^429/);
  });

  it('refuses an address past its quota with the RateLimit fields, before the password is checked', async () => {
    const t = throttle(2);
    const verify = jest.fn(right);
    const first = await t.attempt('2001:db8::1', 'alice', verify);
    expect(first.headers).toEqual({
      'RateLimit-Policy': '"login-address";q=2;w=60',
      RateLimit: '"login-address";r=1;t=60',
    });
    await t.attempt('2001:db8::2', 'bob', verify);
    // Same /64: the same client.
    const refused = t.attempt('2001:db8::3', 'carol', verify);
    await expect(refused).rejects.toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      headers: { 'Retry-After': '60', RateLimit: '"login-address";r=0;t=60' },
    });
    expect(verify).toHaveBeenCalledTimes(2);
    expect((await t.attempt('2001:db8:0:1::1', 'alice', verify)).result).toBe('token');
  });

  it('does not count an attempt that failed for another reason than the password', async () => {
    const t = throttle(100, { freeFailures: 1, baseSeconds: 1, maxSeconds: 4 });
    const down = () => Promise.reject(new Error('event store unavailable'));
    for (let i = 0; i < 5; i++)
      await expect(t.attempt('192.0.2.1', 'alice', down)).rejects.toThrow('unavailable');
    expect(await outcome(t, wrong)).toBe(401);
    expect(await outcome(t, wrong)).toBe(401);
    expect(await outcome(t, wrong)).toBe('429 after 1');
  });

  it('computes waits of base × 2^(k-1), capped', () => {
    const settings = { baseSeconds: 1, maxSeconds: 300 };
    expect([1, 2, 3, 4, 9, 10, 100].map((k) => backoffSeconds(settings, k))).toEqual([
      1, 2, 4, 8, 256, 300, 300,
    ]);
  });
});
