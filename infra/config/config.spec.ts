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
    expect(loadConfig(secret).admission).toEqual({
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
});
