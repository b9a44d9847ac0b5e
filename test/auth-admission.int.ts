import jwt from 'jsonwebtoken';
import { request, type JsonResponse } from './support/http-client';
import { startFlood, type FloodAnswer } from './support/http-flood';
import { metricOf } from './support/metrics';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * Admission of registration, login and token refresh on a real write-api (Redis, MariaDB). 127.0.0.1 is the one
 * trusted proxy, so `X-Forwarded-For` stands for the many client addresses of the internet.
 */

const LOGIN = '/api/v1/auth/login';
const from = (address: string) => ({ 'X-Forwarded-For': address });

const login = (h: Harness, username: string, password: string, address: string): Promise<JsonResponse> =>
  request(h.api.url, 'POST', LOGIN, { body: { username, password }, headers: from(address) });

const register = (h: Harness, username: string, address: string): Promise<JsonResponse> =>
  request(h.api.url, 'POST', '/api/v1/users', {
    body: { username, password: `${username}-password` },
    headers: from(address),
  });

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const retryAfterOf = (response: JsonResponse): number => Number(response.headers.get('retry-after'));

describe('admission of registration, login and refresh', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      COUPONKILL_TRUSTED_PROXIES: '127.0.0.1',
      // The production cost: the flood below is what made a real login slow.
      COUPONKILL_SCRYPT_LOG2_COST: '15',
      COUPONKILL_LOGIN_ADDRESS_LIMIT: '20',
      COUPONKILL_LOGIN_ADDRESS_WINDOW_SECONDS: '60',
      COUPONKILL_LOGIN_FREE_FAILURES: '2',
      COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS: '1',
      COUPONKILL_LOGIN_BACKOFF_MAX_SECONDS: '4',
      COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR: '20',
      COUPONKILL_REGISTRATION_ADDRESS_LIMIT: '5',
      COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS: '3600',
      COUPONKILL_TOKEN_REFRESH_LIMIT: '3',
      COUPONKILL_TOKEN_REFRESH_WINDOW_SECONDS: '60',
    });
  });
  afterAll(() => h.close());

  it('keeps a real login fast while one address and one username from many addresses flood login', async () => {
    expect((await register(h, 'real-buyer', '203.0.113.1')).status).toBe(201);
    expect((await register(h, 'flooded', '203.0.113.2')).status).toBe(201);
    const timedLogin = async (address: string) => {
      const started = performance.now();
      const answer = await login(h, 'real-buyer', 'real-buyer-password', address);
      expect(answer.status).toBe(200);
      return performance.now() - started;
    };
    const realLogins = async (address: string, count: number) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push(await timedLogin(address));
      return times;
    };
    await timedLogin('203.0.113.3'); // warm-up (connections, JIT)

    // Two floods from a worker thread (as from other machines), each 50 requests a second (100 times the address's
    // quota), one address guessing many usernames and one username guessed from many addresses. Unloaded and loaded
    // logins alternate in rounds, so that what else runs on the machine weighs on both alike.
    const bounds = {
      url: h.api.url,
      path: LOGIN,
      workers: 4,
      ratePerSecond: 50,
      maxRequests: 1000,
      maxMs: 20_000,
    };
    const answers = { address: [] as FloodAnswer[], username: [] as FloodAnswer[] };
    const unloaded: number[] = [];
    const loaded: number[] = [];
    const floodStarted = performance.now();
    for (let round = 0; round < 4; round++) {
      unloaded.push(...(await realLogins(`203.0.113.${String(10 + round)}`, 4)));
      const floods = {
        address: startFlood({
          ...bounds,
          body: `{"username":"guess-${String(round)}-{w}-{n}","password":"wrong-password"}`,
          forwardedFor: '198.51.100.7',
        }),
        username: startFlood({
          ...bounds,
          body: '{"username":"flooded","password":"wrong-password-{n}"}',
          forwardedFor: `10.${String(round)}.{hi}.{lo}`,
        }),
      };
      // Each flood spends its free attempts (the address's quota, the username's free failures) at once: measure
      // once both are refused and what they were let hash is done, as it stays for the rest of the flood.
      const settled = async () =>
        floods.address.count(429) > 0 &&
        floods.username.count(429) > 0 &&
        (await metricOf(h.api.opsUrl, 'couponkill_password_hashes_running')) === 0;
      while (!(await settled())) await sleep(20);
      loaded.push(...(await realLogins(`203.0.113.${String(20 + round)}`, 4)));
      answers.address.push(...(await floods.address.stop()));
      answers.username.push(...(await floods.username.stop()));
    }
    const floodSeconds = (performance.now() - floodStarted) / 1000;

    const report = {
      unloadedMedianMs: Math.round(median(unloaded)),
      loadedMedianMs: Math.round(median(loaded)),
      unloaded: unloaded.map(Math.round),
      loaded: loaded.map(Math.round),
      flood: { address: answers.address.length, username: answers.username.length, seconds: floodSeconds },
    };
    console.log(`real login under a login flood: ${JSON.stringify(report)}`);
    expect(median(loaded)).toBeLessThanOrEqual(2 * median(unloaded));

    for (const [kind, policy, hashedAtMost] of [
      // Its quota of 20 a minute, then nothing more is hashed.
      ['address', 'login-address', 20],
      // Addresses that rarely repeat, so little back-off: the username's ceiling of 20 wrong passwords an hour,
      // passed at most by the checks already under way when it is reached (3 hashing, a few waiting at 50 a second).
      ['username', 'login-(username|backoff)', 20 + 8],
    ] as const) {
      const statuses = answers[kind].map((a) => a.status);
      expect(new Set(statuses)).toEqual(new Set([401, 429]));
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(hashedAtMost);
      for (const refused of answers[kind].filter((a) => a.status === 429)) {
        expect(refused.code).toBe('RATE_LIMITED');
        expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(refused.policy).toMatch(new RegExp(`^"${policy}";q=\\d+;w=\\d+$`));
        expect(refused.rateLimit).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
      }
    }
  });

  it('spaces out wrong passwords for a username with growing waits, lets the right one in after, and resets', async () => {
    expect((await register(h, 'forgetful', '203.0.113.10')).status).toBe(201);
    // All from one address: the back-off is per address and username.
    const wrong = (_: number) => login(h, 'forgetful', 'not-my-password', '192.0.2.1');
    // Two free failures, and a third that is checked and earns a 1 s wait.
    expect([(await wrong(1)).status, (await wrong(2)).status, (await wrong(3)).status]).toEqual([
      401, 401, 401,
    ]);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const refused = await wrong(10 + round);
      expect([refused.status, refused.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
      waits.push(retryAfterOf(refused));
      await sleep(retryAfterOf(refused) * 1000 + 100);
      expect((await wrong(20 + round)).status).toBe(401); // checked again, and the next wait doubles (cap 4 s)
    }
    expect(waits).toEqual([1, 2, 4]);
    const capped = await wrong(30);
    expect([capped.status, retryAfterOf(capped)]).toEqual([429, 4]);

    // The right password, once the wait is over, works; the success forgets the failures.
    await sleep(4100);
    expect((await login(h, 'forgetful', 'forgetful-password', '192.0.2.1')).status).toBe(200);
    expect([(await wrong(41)).status, (await wrong(42)).status, (await wrong(43)).status]).toEqual([
      401, 401, 401,
    ]);
    expect((await wrong(44)).status).toBe(429);
  });

  it("an attacker's wrong passwords from one address do not slow the owner logging in from another address", async () => {
    expect((await register(h, 'targeted', '203.0.113.60')).status).toBe(201);
    const attack = () => login(h, 'targeted', 'wrong-guess', '198.51.100.66');
    // Two free failures, a third checked (earning a wait), then the attacker is held off.
    expect([(await attack()).status, (await attack()).status, (await attack()).status]).toEqual([
      401, 401, 401,
    ]);
    const held = await attack();
    expect([held.status, held.headers.get('ratelimit-policy')]).toEqual([429, '"login-backoff";q=1;w=1']);
    // The owner, at once, from another address: in, in the time of one password check.
    const started = performance.now();
    const owner = await login(h, 'targeted', 'targeted-password', '203.0.113.61');
    expect(owner.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    // ... and the owner's success forgets only the owner's address: the attacker's next wait still doubles.
    await sleep(1100);
    expect((await attack()).status).toBe(401);
    const next = await attack();
    expect([next.status, next.headers.get('ratelimit-policy')]).toEqual([429, '"login-backoff";q=1;w=2']);
  });

  it('bounds guessing of one username from many addresses by its hourly ceiling, and no longer', async () => {
    expect((await register(h, 'botnet-target', '203.0.113.70')).status).toBe(201);
    const statuses: number[] = [];
    // One wrong password from each of 25 addresses: no back-off anywhere, the ceiling of 20 an hour holds.
    for (let i = 0; i < 25; i++)
      statuses.push((await login(h, 'botnet-target', 'wrong-guess', `100.64.7.${String(i)}`)).status);
    expect(statuses).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
    // The bound's cost, documented: the owner too waits for the end of the hour (never longer).
    const owner = await login(h, 'botnet-target', 'botnet-target-password', '203.0.113.71');
    expect([owner.status, owner.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
    expect(owner.headers.get('ratelimit-policy')).toBe('"login-username";q=20;w=3600');
    expect(retryAfterOf(owner)).toBeGreaterThan(3500);
    expect(retryAfterOf(owner)).toBeLessThanOrEqual(3600);
    // Other usernames are untouched.
    expect((await login(h, 'targeted', 'targeted-password', '203.0.113.71')).status).toBe(200);
  });

  it('lets one client address open only its quota of accounts (one client opened 30 in 31 s)', async () => {
    const answers: JsonResponse[] = [];
    for (let i = 0; i < 30; i++) answers.push(await register(h, `sybil-${String(i)}`, '198.51.100.30'));
    expect(answers.map((a) => a.status)).toEqual([
      ...Array<number>(5).fill(201),
      ...Array<number>(25).fill(429),
    ]);
    expect(answers[0]!.headers.get('ratelimit-policy')).toBe('"registration-address";q=5;w=3600');
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/^"registration-address";r=4;t=(3600|3599)$/);
    const refused = answers[29]!;
    expect(refused.body.error?.code).toBe('RATE_LIMITED');
    expect(retryAfterOf(refused)).toBeGreaterThan(3500);
    const registered = (await h.allEvents()).filter(
      (e) => e.type === 'UserRegistered' && (e.data as { username: string }).username.startsWith('sybil-'),
    );
    expect(registered).toHaveLength(5);
    // Another address, another quota.
    expect((await register(h, 'neighbour', '198.51.100.31')).status).toBe(201);
  });

  it('renews a token without a password, within the per-user quota, and only for a valid token', async () => {
    expect((await register(h, 'long-session', '203.0.113.50')).status).toBe(201);
    const first = await login(h, 'long-session', 'long-session-password', '203.0.113.50');
    let token = String(first.body.token);
    const authTime = (jwt.decode(token) as jwt.JwtPayload).auth_time as number;
    for (let i = 0; i < 3; i++) {
      const renewed = await request(h.api.url, 'POST', '/api/v1/auth/refresh', { token });
      expect(renewed.status).toBe(200);
      expect(renewed.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, userId: first.body.userId });
      expect(renewed.headers.get('ratelimit')).toMatch(
        new RegExp(`^"token-refresh";r=${String(2 - i)};t=\\d+$`),
      );
      token = String(renewed.body.token);
      expect((jwt.decode(token) as jwt.JwtPayload).auth_time).toBe(authTime);
    }
    const limited = await request(h.api.url, 'POST', '/api/v1/auth/refresh', { token });
    expect([limited.status, limited.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('ratelimit-policy')).toBe('"token-refresh";q=3;w=60');
    const forged = await request(h.api.url, 'POST', '/api/v1/auth/refresh', { token: `${token}x` });
    expect([forged.status, forged.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await request(h.api.url, 'POST', '/api/v1/auth/refresh')).status).toBe(401);
  });
});

describe('password hashing under load', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      COUPONKILL_SCRYPT_LOG2_COST: '15',
      COUPONKILL_PASSWORD_HASHING_CONCURRENCY: '1',
      COUPONKILL_PASSWORD_HASHING_QUEUE: '2',
      // Exactly the bursts below: each takes all 12 units at once, before any hash.
      COUPONKILL_REGISTRATION_ADDRESS_LIMIT: '12',
      COUPONKILL_LOGIN_ADDRESS_LIMIT: '12',
    });
  });
  afterAll(() => h.close());

  it('hashes one at a time with two waiting, and sheds the rest at once with 503 OVERLOADED', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => register(h, `burst-${String(i)}`, '127.0.0.1')),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array<number>(3).fill(201), ...Array<number>(9).fill(503)]);
    for (const shed of answers.filter((a) => a.status === 503)) {
      expect(shed.body.error?.code).toBe('OVERLOADED');
      expect(shed.body.error?.message).toContain('password hashing');
      expect(retryAfterOf(shed)).toBe(1);
    }
    expect(await metricOf(h.api.opsUrl, 'couponkill_password_hashes_shed_total')).toBe(9);
    expect(await metricOf(h.api.opsUrl, 'couponkill_password_hashes_waiting')).toBe(0);
    // The 9 refused registered nothing and gave their units back: 9 more of the address's 12, then 429.
    for (let i = 0; i < 9; i++)
      expect((await register(h, `after-burst-${String(i)}`, '127.0.0.1')).status).toBe(201);
    expect((await register(h, 'one-too-many', '127.0.0.1')).status).toBe(429);
  });

  it('spends no login quota on logins refused with 503 OVERLOADED', async () => {
    const answers = await Promise.all(
      // Twelve usernames (unknown ones are checked alike): one username's concurrent attempts would meet its back-off.
      Array.from({ length: 12 }, (_, i) =>
        login(h, `login-burst-${String(i)}`, 'some-password', '127.0.0.1'),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array<number>(3).fill(401), ...Array<number>(9).fill(503)]);
    // 3 of the address's 12 spent: 9 more, then 429.
    for (let i = 0; i < 9; i++)
      expect((await login(h, 'after-burst-0', 'after-burst-0-password', '127.0.0.1')).status).toBe(200);
    const refused = await login(h, 'after-burst-0', 'after-burst-0-password', '127.0.0.1');
    expect([refused.status, refused.headers.get('ratelimit-policy')]).toEqual([
      429,
      '"login-address";q=12;w=60',
    ]);
  });
});
