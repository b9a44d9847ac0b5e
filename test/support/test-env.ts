import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { loadConfig, type Config } from '../../infra/config/config';
import { deleteKeysMatching } from '../../infra/redis/delete-keys-matching';

export const REDIS_URL = process.env.COUPONKILL_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MYSQL_URL = process.env.COUPONKILL_MYSQL_URL ?? 'mysql://couponkill:couponkill@127.0.0.1:3306';
export const JWT_SECRET = 'integration-tests-secret-0123456789abcdef';

export interface TestEnv {
  readonly config: Config;
  readonly database: string;
  readonly keyPrefix: string;
  /** Drops the database and the Redis keys this environment made. */
  cleanup(): Promise<void>;
}

/** A private event-store database and Redis key prefix, so test files can run side by side on the shared servers. */
export const createTestEnv = (overrides: Record<string, string> = {}): TestEnv => {
  const suffix = randomBytes(4).toString('hex');
  const database = `ck_test_${suffix}`;
  const keyPrefix = `t${suffix}`;
  const config = loadConfig({
    COUPONKILL_HOST: '127.0.0.1',
    COUPONKILL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    COUPONKILL_REDIS_URL: REDIS_URL,
    COUPONKILL_REDIS_KEY_PREFIX: keyPrefix,
    COUPONKILL_EVENT_STORE_URL: `${MYSQL_URL}/${database}`,
    COUPONKILL_JWT_SECRET: JWT_SECRET,
    COUPONKILL_SCRYPT_LOG2_COST: '12',
    COUPONKILL_ADMIN_USERNAME: 'admin',
    COUPONKILL_ADMIN_PASSWORD: 'admin-password-123',
    COUPONKILL_READ_DATABASE_URL: `${MYSQL_URL}/${database}_read`,
    COUPONKILL_BUS_CLAIM_IDLE_MS: '1000',
    COUPONKILL_CONSUMER_NAME: `test-${suffix}`,
    COUPONKILL_OPS_PORT: '0',
    // Every test client is 127.0.0.1: one address standing for many clients. test/auth-admission.int.ts sets the
    // per-address limits it tests; the per-username back-off keeps its production defaults everywhere.
    COUPONKILL_LOGIN_ADDRESS_LIMIT: '1000000',
    COUPONKILL_REGISTRATION_ADDRESS_LIMIT: '1000000',
    // Suites hammer one buyer on purpose (per-user limit, idempotency races): the buyer rate limits would turn that
    // into 429s. The admission suites set the production-like figures they test.
    COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '10000',
    COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: '10000',
    ...overrides,
  });
  return {
    config,
    database,
    keyPrefix,
    cleanup: async () => {
      const connection = await createConnection({ uri: MYSQL_URL });
      const [rows] = await connection.query(`SHOW DATABASES LIKE '${database}%'`);
      for (const row of rows as Record<string, string>[])
        await connection.query(`DROP DATABASE IF EXISTS \`${Object.values(row)[0]}\``);
      await connection.end();
      await deleteKeysMatching(config.redis.url, `${keyPrefix}:*`);
    },
  };
};
