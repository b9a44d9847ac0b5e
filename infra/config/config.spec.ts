import { ConfigError, loadConfig } from './config';

const secret = { COUPONKILL_JWT_SECRET: 'a-secret-that-is-long-enough-0123456789' };

const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration', () => {
  it('applies defaults for the local quick start', () => {
    const config = loadConfig(secret);
    expect(config.writeApiPort).toBe(8080);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.eventStore.url).toMatch(/^mysql:\/\/.*\/couponkill_events$/);
    expect(config.admin).toBeNull();
  });

  it('names a missing secret', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^COUPONKILL_JWT_SECRET: /)]);
  });

  it('names every bad value', () => {
    const problems = problemsOf({
      ...secret,
      COUPONKILL_WRITE_API_PORT: '70000',
      COUPONKILL_REDIS_URL: 'http://x',
      COUPONKILL_LOG_LEVEL: 'loud',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_LOG_LEVEL',
      'COUPONKILL_REDIS_URL',
      'COUPONKILL_WRITE_API_PORT',
    ]);
  });

  it('bounds the partition count, the lease and the watermark interval', () => {
    expect(loadConfig(secret).projector).toMatchObject({ partitions: 16, leaseMs: 6000 });
    expect(loadConfig(secret).relay).toEqual({ watermarkMs: 100 });
    const problems = problemsOf({
      ...secret,
      COUPONKILL_PROJECTION_PARTITIONS: '257',
      COUPONKILL_PROJECTOR_LEASE_MS: '500',
      COUPONKILL_RELAY_WATERMARK_MS: 'often',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_PROJECTION_PARTITIONS',
      'COUPONKILL_PROJECTOR_LEASE_MS',
      'COUPONKILL_RELAY_WATERMARK_MS',
    ]);
    expect(problemsOf({ ...secret, COUPONKILL_PROJECTION_PARTITIONS: '0' })).toEqual([
      expect.stringMatching(/^COUPONKILL_PROJECTION_PARTITIONS: /),
    ]);
  });

  it('reads the order expiry interval and notice lead time, bounded, the lead in ms', () => {
    expect(loadConfig(secret).orderExpiry).toEqual({ intervalMs: 1000, noticeLeadMs: 86_400_000 });
    expect(
      loadConfig({
        ...secret,
        COUPONKILL_ORDER_EXPIRY_INTERVAL_MS: '250',
        COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS: '0',
      }).orderExpiry,
    ).toEqual({ intervalMs: 250, noticeLeadMs: 0 });
    const problems = problemsOf({
      ...secret,
      COUPONKILL_ORDER_EXPIRY_INTERVAL_MS: '0',
      COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS: '-1',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_ORDER_EXPIRY_INTERVAL_MS',
      'COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS',
    ]);
  });

  it('wants both administrator settings or neither', () => {
    expect(problemsOf({ ...secret, COUPONKILL_ADMIN_USERNAME: 'root' })).toEqual([
      expect.stringMatching(/^COUPONKILL_ADMIN_PASSWORD: /),
    ]);
    expect(
      loadConfig({
        ...secret,
        COUPONKILL_ADMIN_USERNAME: 'root',
        COUPONKILL_ADMIN_PASSWORD: 'long-enough-password',
      }).admin,
    ).toEqual({
      username: 'root',
      password: 'long-enough-password',
    });
  });

  it('keeps the admission settings in one object, the queue bound sized from the group commits by default', () => {
    expect(loadConfig(secret).admission).toMatchObject({
      breaker: {
        consecutiveFailures: 5,
        failureRatio: 0.5,
        windowMs: 10_000,
        minimumCalls: 20,
        halfOpenAfterMs: 2000,
      },
      eventStoreQueueMax: 5000,
      overloadRetryAfterSeconds: 1,
      seckill: { buyerClicksPerSecond: 5, couponAdmissionsPerSecond: null },
      reads: { buyerRequestsPerSecond: 20 },
    });
    expect(
      loadConfig({
        ...secret,
        COUPONKILL_EVENT_STORE_BATCH_MAX: '100',
        COUPONKILL_EVENT_STORE_POOL_SIZE: '4',
      }).admission.eventStoreQueueMax,
    ).toBe(400);
    expect(
      loadConfig({ ...secret, COUPONKILL_EVENT_STORE_QUEUE_MAX: '64' }).admission.eventStoreQueueMax,
    ).toBe(64);
    const problems = problemsOf({
      ...secret,
      COUPONKILL_BREAKER_FAILURE_RATIO: '1',
      COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS: '10',
      COUPONKILL_EVENT_STORE_QUEUE_MAX: '0',
      COUPONKILL_BREAKER_CONSECUTIVE_FAILURES: 'many',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_BREAKER_CONSECUTIVE_FAILURES',
      'COUPONKILL_BREAKER_FAILURE_RATIO',
      'COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS',
      'COUPONKILL_EVENT_STORE_QUEUE_MAX',
    ]);
  });

  it('keeps the login, registration and refresh limits in admission.auth, with production defaults', () => {
    const config = loadConfig(secret);
    expect(config.admission.trustedProxies).toEqual([]);
    expect(config.admission.auth).toEqual({
      loginPerAddress: { quota: 30, windowSeconds: 60 },
      loginBackoff: { freeFailures: 5, baseSeconds: 1, maxSeconds: 300, memorySeconds: 3600 },
      loginFailuresPerUsername: { quota: 100, windowSeconds: 3600 },
      registrationPerAddress: { quota: 10, windowSeconds: 3600 },
      refreshPerUser: { quota: 10, windowSeconds: 60 },
      passwordHashing: { concurrency: 3, queue: 64 },
    });
    expect(config.jwt).toMatchObject({ ttlSeconds: 3600, maxSessionSeconds: 86_400 });
    const tuned = loadConfig({
      ...secret,
      COUPONKILL_TRUSTED_PROXIES: ' 10.0.0.0/8, ::1 ,loopback',
      COUPONKILL_LOGIN_ADDRESS_LIMIT: '5',
      COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS: '2',
      COUPONKILL_LOGIN_BACKOFF_MAX_SECONDS: '1',
      COUPONKILL_LOGIN_FAILURE_MEMORY_SECONDS: '600',
      COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR: '20',
      COUPONKILL_PASSWORD_HASHING_QUEUE: '0',
      UV_THREADPOOL_SIZE: '8',
    });
    expect(tuned.admission.trustedProxies).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(tuned.admission.auth.loginPerAddress.quota).toBe(5);
    // A cap below the first wait is the first wait.
    expect(tuned.admission.auth.loginBackoff).toMatchObject({
      baseSeconds: 2,
      maxSeconds: 2,
      memorySeconds: 600,
    });
    expect(tuned.admission.auth.loginFailuresPerUsername).toEqual({ quota: 20, windowSeconds: 3600 });
    expect(tuned.admission.auth.passwordHashing).toEqual({ concurrency: 7, queue: 0 });
    expect(
      loadConfig({ ...secret, UV_THREADPOOL_SIZE: '1', COUPONKILL_PASSWORD_HASHING_CONCURRENCY: '2' })
        .admission.auth.passwordHashing.concurrency,
    ).toBe(2);
    expect(
      loadConfig({ ...secret, UV_THREADPOOL_SIZE: '1' }).admission.auth.passwordHashing.concurrency,
    ).toBe(1);
    const problems = problemsOf({
      ...secret,
      COUPONKILL_TRUSTED_PROXIES: '10.0.0.0/8,proxy.example',
      COUPONKILL_LOGIN_ADDRESS_LIMIT: '0',
      COUPONKILL_LOGIN_FREE_FAILURES: '-1',
      COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR: '0',
      COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS: 'hourly',
      COUPONKILL_PASSWORD_HASHING_CONCURRENCY: '0',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_LOGIN_ADDRESS_LIMIT',
      'COUPONKILL_LOGIN_FREE_FAILURES',
      'COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR',
      'COUPONKILL_PASSWORD_HASHING_CONCURRENCY',
      'COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS',
      'COUPONKILL_TRUSTED_PROXIES',
    ]);
    expect(problems.find((p) => p.startsWith('COUPONKILL_TRUSTED_PROXIES'))).toContain('proxy.example');
  });

  it('reads the buyer rate limits, a coupon admission rate of 0 being none', () => {
    const admission = loadConfig({
      ...secret,
      COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '2',
      COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND: '300',
      COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: '7',
    }).admission;
    expect(admission.seckill).toEqual({ buyerClicksPerSecond: 2, couponAdmissionsPerSecond: 300 });
    expect(admission.reads).toEqual({ buyerRequestsPerSecond: 7 });
    expect(
      loadConfig({ ...secret, COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND: '0' }).admission.seckill
        .couponAdmissionsPerSecond,
    ).toBeNull();
    const problems = problemsOf({
      ...secret,
      COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '0',
      COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND: '-1',
      COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: 'lots',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND',
      'COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND',
      'COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND',
    ]);
  });

  it('reads the notification stream limits, and the webhook only when its URL and secret are set', () => {
    const { notifications } = loadConfig(secret);
    expect(notifications).toEqual({
      stream: {
        heartbeatMs: 15_000,
        pollMs: 100,
        maxStreams: 10_000,
        maxStreamsPerUser: 5,
        ticketTtlSeconds: 60,
      },
      webhook: null,
    });
    const key = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(
      loadConfig({
        ...secret,
        COUPONKILL_WEBHOOK_URL: 'https://hooks.example/couponkill',
        COUPONKILL_WEBHOOK_SECRET: key,
        COUPONKILL_WEBHOOK_BACKOFF_INITIAL_MS: '2000',
        COUPONKILL_WEBHOOK_BACKOFF_MAX_MS: '1000',
      }).notifications.webhook,
    ).toEqual({
      url: 'https://hooks.example/couponkill',
      secret: key,
      maxAttempts: 8,
      backoff: { initialMs: 2000, maxMs: 2000 },
      timeoutMs: 5000,
      concurrency: 8,
    });
    expect(problemsOf({ ...secret, COUPONKILL_WEBHOOK_URL: 'https://hooks.example/' })).toEqual([
      expect.stringMatching(/^COUPONKILL_WEBHOOK_SECRET: is required/),
    ]);
    const problems = problemsOf({
      ...secret,
      COUPONKILL_WEBHOOK_URL: 'ftp://hooks.example/',
      COUPONKILL_WEBHOOK_SECRET: 'short',
      COUPONKILL_NOTIFICATION_STREAM_HEARTBEAT_MS: '10',
      COUPONKILL_NOTIFICATION_STREAMS_PER_USER: '0',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COUPONKILL_NOTIFICATION_STREAMS_PER_USER',
      'COUPONKILL_NOTIFICATION_STREAM_HEARTBEAT_MS',
      'COUPONKILL_WEBHOOK_SECRET',
      'COUPONKILL_WEBHOOK_URL',
    ]);
  });

  it('allows the read API own loopback origins to call the write API unless told which origins may', () => {
    expect(loadConfig({ ...secret, COUPONKILL_READ_API_PORT: '9191' }).webApp).toEqual({
      corsOrigins: ['http://localhost:9191', 'http://127.0.0.1:9191', 'http://[::1]:9191'],
      publicWriteApiUrl: null,
    });
    expect(loadConfig({ ...secret, COUPONKILL_CORS_ORIGINS: ' ' }).webApp.corsOrigins).toEqual([
      'http://localhost:8081',
      'http://127.0.0.1:8081',
      'http://[::1]:8081',
    ]);
    const tuned = loadConfig({
      ...secret,
      COUPONKILL_CORS_ORIGINS: 'https://shop.example, http://localhost:5173 ,https://[2001:db8::1]:8443',
      COUPONKILL_PUBLIC_WRITE_API_URL: 'https://api.example/',
    });
    expect(tuned.webApp).toEqual({
      corsOrigins: ['https://shop.example', 'http://localhost:5173', 'https://[2001:db8::1]:8443'],
      publicWriteApiUrl: 'https://api.example',
    });
    expect(
      loadConfig({ ...secret, COUPONKILL_PUBLIC_WRITE_API_URL: 'https://shop.example/write/' }).webApp
        .publicWriteApiUrl,
    ).toBe('https://shop.example/write');
  });

  it.each([
    ['a trailing slash', 'https://shop.example/'],
    ['a path', 'https://shop.example/app'],
    ['upper case', 'https://Shop.example'],
    ['a default port', 'https://shop.example:443'],
    ['another scheme', 'ftp://shop.example'],
    ['no scheme', 'shop.example'],
    ['a wildcard', '*'],
    ['a query', 'https://shop.example?x=1'],
  ])('names COUPONKILL_CORS_ORIGINS and the entry for an origin with %s', (_case, origin) => {
    const problems = problemsOf({ ...secret, COUPONKILL_CORS_ORIGINS: `https://ok.example,${origin}` });
    expect(problems).toEqual([expect.stringMatching(/^COUPONKILL_CORS_ORIGINS: /)]);
    expect(problems[0]).toContain(origin);
  });

  it('names COUPONKILL_PUBLIC_WRITE_API_URL when it is no http(s) URL or carries a query', () => {
    for (const value of [
      'api.example',
      'ftp://api.example',
      'https://api.example/?x=1',
      'https://u:p@api.example',
    ])
      expect(problemsOf({ ...secret, COUPONKILL_PUBLIC_WRITE_API_URL: value })).toEqual([
        expect.stringMatching(/^COUPONKILL_PUBLIC_WRITE_API_URL: /),
      ]);
  });
});
