import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

/** Every setting, by its environment variable. Defaults suit the local quick start; secrets have none. */
export const configSchema = z
  .object({
    COUPONKILL_HOST: z.string().min(1).default('0.0.0.0'),
    COUPONKILL_WRITE_API_PORT: port.default(8080),
    COUPONKILL_OPS_HOST: z.string().min(1).default('127.0.0.1'),
    COUPONKILL_OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    COUPONKILL_LISTEN_BACKLOG: positiveInt.max(65535).optional(),
    COUPONKILL_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    COUPONKILL_REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    COUPONKILL_REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, _ . - (1 to 32)')
      .default('ck'),
    COUPONKILL_REDIS_COMMAND_TIMEOUT_MS: positiveInt.default(2000),
    COUPONKILL_EVENT_STORE: z.enum(['mysql', 'eventstoredb']).default('mysql'),
    COUPONKILL_ESDB_CONNECTION_STRING: url(['esdb:', 'esdb+discover:']).optional(),
    COUPONKILL_EVENT_STORE_URL: url(['mysql:']).default(
      'mysql://couponkill:couponkill@127.0.0.1:3306/couponkill_events',
    ),
    COUPONKILL_EVENT_STORE_POOL_SIZE: positiveInt.default(10),
    COUPONKILL_EVENT_STORE_BATCH_MAX: positiveInt.max(5000).default(500),
    COUPONKILL_EVENT_STORE_LOCK_WAIT_SECONDS: positiveInt.default(5),
    COUPONKILL_JWT_SECRET: z
      .string({ message: 'is required (at least 32 characters)' })
      .min(32, 'must be at least 32 characters'),
    COUPONKILL_JWT_ISSUER: z.string().min(1).default('couponkill'),
    COUPONKILL_JWT_AUDIENCE: z.string().min(1).default('couponkill'),
    COUPONKILL_JWT_TTL_SECONDS: positiveInt.default(3600),
    COUPONKILL_JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    COUPONKILL_SCRYPT_LOG2_COST: z.coerce.number().int().min(10).max(20).default(15),
    COUPONKILL_ADMIN_USERNAME: z.string().min(3).optional(),
    COUPONKILL_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    COUPONKILL_BODY_LIMIT_BYTES: positiveInt.max(1_048_576).default(16_384),
    COUPONKILL_RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(5000),
    COUPONKILL_RECONCILE_INTERVAL_MS: positiveInt.default(1000),
    COUPONKILL_READ_API_PORT: port.default(8081),
    COUPONKILL_PROJECTOR_PORT: port.optional(),
    COUPONKILL_RELAY_PORT: port.optional(),
    COUPONKILL_READ_DATABASE_URL: url(['mysql:']).default(
      'mysql://couponkill:couponkill@127.0.0.1:3306/couponkill_read',
    ),
    COUPONKILL_READ_SHARD_URLS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      )
      .pipe(z.array(url(['mysql:']))),
    COUPONKILL_READ_SHARDS: positiveInt.max(64).default(2),
    COUPONKILL_READ_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(2000),
    COUPONKILL_READ_MAX_WAITERS: positiveInt.max(100_000).default(1000),
    COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
    COUPONKILL_PROJECTOR_BATCH: positiveInt.max(5000).default(500),
    COUPONKILL_BUS: z.enum(['redis', 'rocketmq']).default('redis'),
    COUPONKILL_BUS_CLAIM_IDLE_MS: positiveInt.default(30_000),
    COUPONKILL_BUS_MAX_DELIVERIES: positiveInt.default(5),
    COUPONKILL_ROCKETMQ_ENDPOINTS: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d+)?(;[A-Za-z0-9.-]+(:\d+)?)*$/, 'host:port, separated by ;')
      .default('127.0.0.1:18081'),
    COUPONKILL_ROCKETMQ_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,120}$/, 'letters, digits, _ - (1 to 120)')
      .default('couponkill-events'),
    COUPONKILL_ROCKETMQ_GROUP_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ - (1 to 64)')
      .default('couponkill'),
    COUPONKILL_ROCKETMQ_AWAIT_MS: positiveInt.default(5000),
    COUPONKILL_ROCKETMQ_NAMESPACE: z.string().default(''),
    COUPONKILL_ROCKETMQ_ACCESS_KEY: z.string().min(1).optional(),
    COUPONKILL_ROCKETMQ_SECRET_KEY: z.string().min(1).optional(),
    COUPONKILL_CONSUMER_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
  })
  .refine((c) => c.COUPONKILL_EVENT_STORE !== 'eventstoredb' || c.COUPONKILL_ESDB_CONNECTION_STRING, {
    message: 'is required when COUPONKILL_EVENT_STORE=eventstoredb',
    path: ['COUPONKILL_ESDB_CONNECTION_STRING'],
  })
  .refine(
    (c) =>
      (c.COUPONKILL_ROCKETMQ_ACCESS_KEY === undefined) === (c.COUPONKILL_ROCKETMQ_SECRET_KEY === undefined),
    {
      message: 'set both or neither of COUPONKILL_ROCKETMQ_ACCESS_KEY and COUPONKILL_ROCKETMQ_SECRET_KEY',
      path: ['COUPONKILL_ROCKETMQ_SECRET_KEY'],
    },
  )
  .refine(
    (c) => (c.COUPONKILL_ADMIN_USERNAME === undefined) === (c.COUPONKILL_ADMIN_PASSWORD === undefined),
    {
      message: 'set both or neither',
      path: ['COUPONKILL_ADMIN_PASSWORD'],
    },
  );

export type RawConfig = z.infer<typeof configSchema>;
