import { z } from 'zod';
import { trustedProxiesProblem } from '../http/client-address';
import { originListProblem } from '../http/cors-policy';

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

/** A setting listing entries separated by commas: trimmed, empty ones dropped; unset or empty: none. */
const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  );

/** A comma list judged whole: `problemOf` answers what is wrong with the list (naming the entry), or null. */
const checkedCommaList = (problemOf: (list: string[]) => string | null) =>
  commaList.superRefine((list, context) => {
    const problem = problemOf(list);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

/** `host:port` entries separated by commas (Sentinels, cluster nodes); empty: none. */
const hostPorts = commaList.pipe(
  z.array(
    z
      .string()
      .regex(/^[^\s:,]+:\d{1,5}$/, 'must be host:port')
      .refine((entry) => Number(entry.slice(entry.lastIndexOf(':') + 1)) <= 65535, 'port above 65535'),
  ),
);

/**
 * Every setting, by its environment variable. Defaults suit the local quick start; secrets have none. Each entry's
 * `description` (and `shownDefault`, when the default is not a value of the schema) is what `couponkill --help` lists
 * (config.ts, describeSettings).
 */
export const configSchema = z
  .object({
    COUPONKILL_HOST: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .meta({ description: 'address the public APIs listen on' }),
    COUPONKILL_WRITE_API_PORT: port.default(8080).meta({ description: "the write-api's port" }),
    COUPONKILL_OPS_HOST: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .meta({ description: 'address of the ops listener (/healthz, /readyz, /metrics, lag)' }),
    COUPONKILL_OPS_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .meta({ description: 'port of the ops listener; 0 picks a free one' }),
    COUPONKILL_METRICS_LEGACY_NAMES: z.enum(['on', 'off']).default('on').meta({
      description:
        '/metrics also serves each renamed metric under its name of 0.1 (without the couponkill_ prefix); removed in 0.3',
    }),
    COUPONKILL_LISTEN_BACKLOG: positiveInt.max(65535).optional().meta({
      description: 'listen(2) backlog of every listener',
      shownDefault: "the kernel's cap, net.core.somaxconn",
    }),
    COUPONKILL_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0).meta({
      description:
        'after SIGTERM, /readyz answers 503 this long (ms) while the listeners keep serving, so load balancers stop routing here first',
    }),
    COUPONKILL_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .meta({ live: true, description: 'log level (pino)' }),
    COUPONKILL_REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379').meta({
      live: true,
      description: 'Redis of the stock gate (and of the bus when COUPONKILL_BUS=redis)',
    }),
    COUPONKILL_REDIS_MODE: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone').meta({
      live: true,
      description:
        'the stock gate\'s Redis topology: standalone (COUPONKILL_REDIS_URL), sentinel (a primary found through COUPONKILL_REDIS_SENTINELS) or cluster (COUPONKILL_REDIS_CLUSTER_NODES); a live change moves the gate (README, "Live configuration")',
    }),
    COUPONKILL_REDIS_SENTINELS: hostPorts.meta({
      live: true,
      description: 'Sentinels (host:port, separated by commas) when COUPONKILL_REDIS_MODE=sentinel',
    }),
    COUPONKILL_REDIS_SENTINEL_MASTER: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1 to 64)')
      .default('mymaster')
      .meta({ live: true, description: "the primary's name the Sentinels monitor" }),
    COUPONKILL_REDIS_CLUSTER_NODES: hostPorts.meta({
      live: true,
      description:
        'some nodes of the Redis Cluster (host:port, separated by commas) when COUPONKILL_REDIS_MODE=cluster',
    }),
    COUPONKILL_REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, _ . - (1 to 32)')
      .default('ck')
      .meta({ description: 'prefix of every Redis key: letters, digits, _ . - (1 to 32)' }),
    COUPONKILL_REDIS_COMMAND_TIMEOUT_MS: positiveInt
      .default(2000)
      .meta({ description: 'a Redis command not answered by then fails, in ms' }),
    COUPONKILL_EVENT_STORE: z
      .enum(['mysql', 'eventstoredb'])
      .default('mysql')
      .meta({ description: 'the event store: the embedded MySQL one or EventStoreDB' }),
    COUPONKILL_ESDB_CONNECTION_STRING: url(['esdb:', 'esdb+discover:']).optional().meta({
      description:
        'EventStoreDB connection string (esdb:// or esdb+discover://), required when COUPONKILL_EVENT_STORE=eventstoredb',
    }),
    COUPONKILL_EVENT_STORE_URL: url(['mysql:'])
      .default('mysql://couponkill:couponkill@127.0.0.1:3306/couponkill_events')
      .meta({
        live: true,
        description: 'the embedded MySQL event store (its database is created if missing)',
      }),
    COUPONKILL_EVENT_STORE_POOL_SIZE: positiveInt
      .default(10)
      .meta({ description: "connections of the event store's MySQL pool" }),
    COUPONKILL_EVENT_STORE_BATCH_MAX: positiveInt
      .max(5000)
      .default(500)
      .meta({ description: 'appends per group commit (at most 5000)' }),
    COUPONKILL_EVENT_STORE_LOCK_WAIT_SECONDS: positiveInt
      .default(5)
      .meta({ description: "how long an append waits for MySQL's lock, in seconds" }),
    COUPONKILL_EVENT_STORE_QUEUE_MAX: positiveInt.max(1_000_000).optional().meta({
      description:
        'appends waiting for the event store (the group-commit queue; EventStoreDB: appends in flight); more are refused at once with 503 OVERLOADED',
      shownDefault:
        'COUPONKILL_EVENT_STORE_BATCH_MAX × COUPONKILL_EVENT_STORE_POOL_SIZE (5000 with their defaults)',
    }),
    COUPONKILL_OVERLOAD_RETRY_AFTER_SECONDS: positiveInt
      .max(3600)
      .default(1)
      .meta({ description: 'Retry-After of a 503 OVERLOADED, in seconds' }),
    COUPONKILL_BREAKER_CONSECUTIVE_FAILURES: positiveInt.max(10_000).default(5).meta({
      description:
        'this many failures of a dependency in a row open its circuit breaker (calls are refused at once)',
    }),
    COUPONKILL_BREAKER_FAILURE_RATIO: z.coerce.number().gt(0).lt(1).default(0.5).meta({
      description:
        "a share of failed calls (above 0, below 1) over the breaker's window that opens it too, once it saw COUPONKILL_BREAKER_MIN_CALLS there",
    }),
    COUPONKILL_BREAKER_WINDOW_MS: positiveInt
      .min(1000)
      .max(600_000)
      .default(10_000)
      .meta({ description: "the breaker's window for the failure ratio, in ms" }),
    COUPONKILL_BREAKER_MIN_CALLS: positiveInt
      .max(1_000_000)
      .default(20)
      .meta({ description: 'calls in the window before the failure ratio may open a breaker' }),
    COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS: positiveInt.min(100).max(600_000).default(2000).meta({
      description:
        'an open breaker lets one call through as a probe after this, in ms: its success closes it, its failure keeps it open',
    }),
    COUPONKILL_JWT_SECRET: z
      .string({ message: 'is required (at least 32 characters)' })
      .min(32, 'must be at least 32 characters')
      .meta({ description: 'HS256 secret of the tokens, 32 characters or more' }),
    COUPONKILL_JWT_ISSUER: z
      .string()
      .min(1)
      .default('couponkill')
      .meta({ description: 'issuer (iss) of the tokens' }),
    COUPONKILL_JWT_AUDIENCE: z
      .string()
      .min(1)
      .default('couponkill')
      .meta({ description: 'audience (aud) of the tokens' }),
    COUPONKILL_JWT_TTL_SECONDS: positiveInt
      .default(3600)
      .meta({ description: 'token lifetime, and the longest exp - iat accepted, in seconds' }),
    COUPONKILL_JWT_CLOCK_SKEW_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(300)
      .default(30)
      .meta({ description: 'clock difference allowed for iat and exp, in seconds (0 to 300)' }),
    COUPONKILL_SCRYPT_LOG2_COST: z.coerce
      .number()
      .int()
      .min(10)
      .max(20)
      .default(15)
      .meta({ description: 'password hashing cost: scrypt N = 2^this (10 to 20)' }),
    COUPONKILL_TRUSTED_PROXIES: checkedCommaList(trustedProxiesProblem).meta({
      description:
        'proxies whose X-Forwarded-For is believed (addresses, CIDR subnets, or loopback, linklocal, uniquelocal, separated by commas); empty: the socket peer is the client, the header is never read',
    }),
    COUPONKILL_LOGIN_ADDRESS_LIMIT: positiveInt
      .max(1_000_000)
      .default(30)
      .meta({ description: 'logins one client address may try per COUPONKILL_LOGIN_ADDRESS_WINDOW_SECONDS' }),
    COUPONKILL_LOGIN_ADDRESS_WINDOW_SECONDS: positiveInt
      .max(86_400)
      .default(60)
      .meta({ description: 'the window of COUPONKILL_LOGIN_ADDRESS_LIMIT, in seconds' }),
    COUPONKILL_LOGIN_FREE_FAILURES: z.coerce.number().int().min(0).max(1000).default(5).meta({
      description:
        'wrong passwords in a row for one username from one client address before its logins from there are spaced out',
    }),
    COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS: positiveInt.max(3600).default(1).meta({
      description: 'wait after the first failure past the free ones, in seconds; doubles with each next',
    }),
    COUPONKILL_LOGIN_BACKOFF_MAX_SECONDS: positiveInt.max(86_400).default(300).meta({
      description:
        'longest wait between two logins of a username that keeps failing from one client address, in seconds (never a lockout)',
    }),
    COUPONKILL_LOGIN_FAILURE_MEMORY_SECONDS: positiveInt.max(604_800).default(3600).meta({
      description:
        'how long the failures in a row of one username from one client address are remembered from the first, in seconds (a success from that address forgets them); their Redis key lives this long',
    }),
    COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR: positiveInt.max(1_000_000).default(100).meta({
      description:
        'wrong passwords one username may get per hour from all client addresses together; past it its logins get 429 until the hour ends (bounds guessing from many addresses)',
    }),
    COUPONKILL_REGISTRATION_ADDRESS_LIMIT: positiveInt.max(1_000_000).default(10).meta({
      description:
        'registrations one client address may try per COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS',
    }),
    COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS: positiveInt
      .max(604_800)
      .default(3600)
      .meta({ description: 'the window of COUPONKILL_REGISTRATION_ADDRESS_LIMIT, in seconds' }),
    COUPONKILL_TOKEN_REFRESH_LIMIT: positiveInt.max(1_000_000).default(10).meta({
      description: 'token refreshes one user may make per COUPONKILL_TOKEN_REFRESH_WINDOW_SECONDS',
    }),
    COUPONKILL_TOKEN_REFRESH_WINDOW_SECONDS: positiveInt
      .max(86_400)
      .default(60)
      .meta({ description: 'the window of COUPONKILL_TOKEN_REFRESH_LIMIT, in seconds' }),
    COUPONKILL_JWT_MAX_SESSION_SECONDS: positiveInt.max(31_536_000).default(86_400).meta({
      description:
        'a token is refreshed only while its login is younger than this, in seconds; then the user logs in again',
    }),
    COUPONKILL_PASSWORD_HASHING_CONCURRENCY: positiveInt.max(256).optional().meta({
      description: 'password hashes (scrypt) computed at once; more wait in a bounded queue',
      shownDefault: "UV_THREADPOOL_SIZE - 1, at least 1 (3 with libuv's default of 4)",
    }),
    COUPONKILL_PASSWORD_HASHING_QUEUE: z.coerce.number().int().min(0).max(100_000).default(64).meta({
      description: 'password hashes that may wait; past it logins and registrations get 503 OVERLOADED',
    }),
    COUPONKILL_ADMIN_USERNAME: z.string().min(3).optional().meta({
      description:
        'administrator registered at start when absent (set both or neither with COUPONKILL_ADMIN_PASSWORD)',
    }),
    COUPONKILL_ADMIN_PASSWORD: z
      .string()
      .min(12, 'must be at least 12 characters')
      .optional()
      .meta({ description: "that administrator's password, 12 characters or more" }),
    COUPONKILL_BODY_LIMIT_BYTES: positiveInt
      .max(1_048_576)
      .default(16_384)
      .meta({ description: 'largest request body, in bytes' }),
    COUPONKILL_RECONCILE_GRACE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(5000)
      .meta({ live: true, description: 'the reconciler settles reservations older than this, in ms' }),
    COUPONKILL_RECONCILE_INTERVAL_MS: positiveInt
      .default(1000)
      .meta({ live: true, description: 'how often the reconciler runs, in ms' }),
    COUPONKILL_SALE_STATS_FLUSH_MS: positiveInt.max(60_000).default(1000).meta({
      live: true,
      description:
        "how often each write-api adds its seckill and claim outcomes per coupon to Redis (the admin route's sale-stats), in ms",
    }),
    COUPONKILL_ORDER_EXPIRY_INTERVAL_MS: positiveInt.max(3_600_000).default(1000).meta({
      description:
        'how often the order expiry process (in the orders projector) expires orders whose validity ended and notices those ending soon, in ms',
    }),
    COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(31_536_000)
      .default(86_400)
      .meta({
        description:
          "an order's coming expiry is noticed (OrderExpiryNoticed, once) this long before its validity ends, in seconds; 0: never",
      }),
    COUPONKILL_READ_API_PORT: port.default(8081).meta({ description: "the read-api's port" }),
    COUPONKILL_CORS_ORIGINS: checkedCommaList(originListProblem).meta({
      description:
        "origins (scheme://host[:port], separated by commas, matched exactly) whose pages may call the write API (CORS): the web app's public origin",
    }),
    COUPONKILL_PUBLIC_WRITE_API_URL: url(['http:', 'https:'])
      .refine((value) => {
        // Checked after url(), which reports a value that is no URL: nothing to add then.
        const parsed = URL.parse(value);
        return parsed === null || (!parsed.username && !parsed.password && !parsed.search && !parsed.hash);
      }, 'must have no credentials, query or fragment')
      .optional()
      .meta({
        description:
          "the write API's absolute URL as browsers reach it, told to the web app (/app/config.json) and allowed by its Content-Security-Policy",
      }),
    COUPONKILL_PROJECTOR_PORT: port
      .optional()
      .meta({ description: "the projector's ops port (name of 0.1; COUPONKILL_OPS_PORT wins)" }),
    COUPONKILL_RELAY_PORT: port
      .optional()
      .meta({ description: "the relay's ops port (name of 0.1; COUPONKILL_OPS_PORT wins)" }),
    COUPONKILL_READ_DATABASE_URL: url(['mysql:'])
      .default('mysql://couponkill:couponkill@127.0.0.1:3306/couponkill_read')
      .meta({ description: 'MySQL read-model catalog; shard i defaults to its database with _i appended' }),
    COUPONKILL_READ_SHARD_URLS: commaList
      .pipe(z.array(url(['mysql:'])))
      .meta({ description: 'explicit shard map: MySQL URLs separated by commas' }),
    COUPONKILL_READ_SHARDS: positiveInt
      .max(64)
      .default(2)
      .meta({ description: 'shards of a first build of the read models (1 to 64)' }),
    COUPONKILL_READ_WAIT_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(30_000)
      .default(2000)
      .meta({ live: true, description: 'longest a read waits for read-your-writes, in ms' }),
    COUPONKILL_READ_MAX_WAITERS: positiveInt
      .max(100_000)
      .default(1000)
      .meta({ description: 'reads waiting for read-your-writes at once; more are answered 503 at once' }),
    COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(3000)
      .meta({ description: "a seckill's append not stored by then is not stored at all (503), in ms" }),
    COUPONKILL_PROJECTION_PARTITIONS: positiveInt.max(256).default(16).meta({
      description:
        "partitions of each projection's stream: the most projector replicas that share its work (relay, projectors and replays must agree; changing it is a replay)",
    }),
    COUPONKILL_PROJECTOR_LEASE_MS: positiveInt.min(1000).max(300_000).default(6000).meta({
      description:
        'a projector replica that stops heartbeating loses its partitions after this, in ms (heartbeats every sixth of it)',
    }),
    COUPONKILL_RELAY_WATERMARK_MS: positiveInt.min(10).max(10_000).default(100).meta({
      description: 'an idle partition is told how far the log has moved this often, in ms',
    }),
    COUPONKILL_PROJECTOR_BATCH: positiveInt
      .max(5000)
      .default(500)
      .meta({ live: true, description: 'messages per projector batch' }),
    COUPONKILL_RESERVATION_PRIORITY_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000).meta({
      description:
        'after the window of a coupon with reservations opens, live buyers wait this long (SALE_NOT_STARTED) while reserved buyers fire, or less when every reservation has ended; 0: no priority',
    }),
    COUPONKILL_RESERVATION_FIRER: z.enum(['on', 'off']).default('on').meta({
      description:
        'whether relay and all-in-one also run the reservation firer (the reservation-firer role always does)',
    }),
    COUPONKILL_RESERVATION_FIRER_POLL_MS: positiveInt.min(10).max(60_000).default(100).meta({
      description: 'how often the reservation firer looks at its queue, in ms',
    }),
    COUPONKILL_RESERVATION_FIRER_BATCH: positiveInt.max(5000).default(500).meta({
      description:
        'reservations fired per gate call (one ordered Lua script; the orders then share group commits)',
    }),
    COUPONKILL_RESERVATION_FIRER_PARTITIONS: positiveInt.max(256).default(16).meta({
      description:
        'coupons are spread over this many partitions, each fired by one firer replica at a time (all firers must agree)',
    }),
    COUPONKILL_RESERVATION_FIRER_LEASE_MS: positiveInt.min(1000).max(300_000).default(6000).meta({
      description:
        'a firer replica that stops heartbeating loses its coupons after this, in ms (heartbeats every sixth of it)',
    }),
    COUPONKILL_RESERVATION_SEAL_MARGIN_MS: z.coerce.number().int().min(0).max(600_000).default(1000).meta({
      description:
        "the firer reads the log's head this long after a window opens to know every reservation is in its queue: the most the clocks of write-api and firer may disagree, in ms",
    }),
    COUPONKILL_BUS: z
      .enum(['redis', 'rocketmq'])
      .default('redis')
      .meta({ description: 'the bus: Redis Streams or RocketMQ 5' }),
    COUPONKILL_BUS_CLAIM_IDLE_MS: positiveInt.default(30_000).meta({
      description: 'an unacknowledged message is redelivered after this, in ms (RocketMQ: invisible time)',
    }),
    COUPONKILL_BUS_MAX_DELIVERIES: positiveInt
      .default(5)
      .meta({ description: 'deliveries of a message before it is dead-lettered' }),
    COUPONKILL_ROCKETMQ_ENDPOINTS: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d+)?(;[A-Za-z0-9.-]+(:\d+)?)*$/, 'host:port, separated by ;')
      .default('127.0.0.1:18081')
      .meta({ live: true, description: 'RocketMQ proxy gRPC endpoints, host:port separated by ;' }),
    COUPONKILL_ROCKETMQ_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,120}$/, 'letters, digits, _ - (1 to 120)')
      .default('couponkill-events')
      .meta({ description: 'RocketMQ FIFO topic of the events' }),
    COUPONKILL_ROCKETMQ_GROUP_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ - (1 to 64)')
      .default('couponkill')
      .meta({ description: 'prefix of the RocketMQ consumer group names' }),
    COUPONKILL_ROCKETMQ_AWAIT_MS: positiveInt
      .default(5000)
      .meta({ description: 'RocketMQ long poll, in ms' }),
    COUPONKILL_ROCKETMQ_NAMESPACE: z.string().default('').meta({ description: 'RocketMQ namespace' }),
    COUPONKILL_ROCKETMQ_ACCESS_KEY: z.string().min(1).optional().meta({
      live: true,
      description: 'RocketMQ ACL access key (set both or neither with COUPONKILL_ROCKETMQ_SECRET_KEY)',
    }),
    COUPONKILL_ROCKETMQ_SECRET_KEY: z
      .string()
      .min(1)
      .optional()
      .meta({ live: true, description: 'RocketMQ ACL secret key' }),
    COUPONKILL_CONSUMER_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional()
      .meta({
        description: "prefix of this process's member name in projector groups (default: the host name)",
      }),
    // Buyer-facing rate limits (admission control): in-process, so every figure is per replica.
    COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: positiveInt.max(10_000).default(5).meta({
      live: true,
      description:
        'seckill requests one buyer may make per second on one write-api replica; more are answered 429 RATE_LIMITED',
    }),
    COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .meta({
        live: true,
        description:
          'seckill requests one write-api replica lets through to the stock gate per coupon per second; more are answered 503 OVERLOADED before Redis (0: no such limit)',
      }),
    COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: positiveInt.max(10_000).default(20).meta({
      live: true,
      description:
        'authenticated read-api requests one buyer may make per second on one read-api replica; more are answered 429 RATE_LIMITED',
    }),
    // Notifications: the live stream (read-api) and the optional webhook.
    COUPONKILL_NOTIFICATION_STREAM_HEARTBEAT_MS: positiveInt.min(1000).max(300_000).default(15_000).meta({
      description:
        'a notification stream with nothing to send gets a comment line this often, in ms, so proxies keep it open',
    }),
    COUPONKILL_NOTIFICATION_STREAM_POLL_MS: positiveInt.min(10).max(10_000).default(100).meta({
      description:
        "how often a read-api replica's one shared watcher reads the notifications read model for its streams, in ms",
    }),
    COUPONKILL_NOTIFICATION_STREAMS_MAX: positiveInt.max(1_000_000).default(10_000).meta({
      description:
        'notification streams one read-api replica holds open at once; more are answered 503 OVERLOADED',
    }),
    COUPONKILL_NOTIFICATION_STREAMS_PER_USER: positiveInt.max(1000).default(5).meta({
      description:
        'notification streams one buyer may hold open on one read-api replica; more are answered 429 TOO_MANY_STREAMS',
    }),
    COUPONKILL_NOTIFICATION_STREAM_TICKET_TTL_SECONDS: positiveInt.min(5).max(3600).default(60).meta({
      description:
        'how long a stream ticket (for EventSource, which cannot send a bearer token) may be used to connect, in seconds',
    }),
    COUPONKILL_WEBHOOK_URL: url(['http:', 'https:']).optional().meta({
      description:
        'where every notification is also POSTed (Standard Webhooks signature); unset: no webhook. Needs COUPONKILL_WEBHOOK_SECRET',
    }),
    COUPONKILL_WEBHOOK_SECRET: z
      .string()
      .regex(
        /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/,
        'must be whsec_ followed by the base64 of at least 24 random bytes',
      )
      .optional()
      .meta({
        description: 'the webhook signing secret: whsec_ followed by base64 of 24 to 64 random bytes',
      }),
    COUPONKILL_WEBHOOK_MAX_ATTEMPTS: positiveInt.max(100).default(8).meta({
      description: 'attempts to deliver one notification before it is recorded as a dead letter',
    }),
    COUPONKILL_WEBHOOK_BACKOFF_INITIAL_MS: positiveInt.max(600_000).default(500).meta({
      description: 'delay before the first retry of a webhook delivery, in ms (doubling, with jitter)',
    }),
    COUPONKILL_WEBHOOK_BACKOFF_MAX_MS: positiveInt.max(3_600_000).default(30_000).meta({
      description: 'longest delay between two attempts of a webhook delivery, in ms',
    }),
    COUPONKILL_WEBHOOK_TIMEOUT_MS: positiveInt.max(120_000).default(5000).meta({
      description: 'a webhook attempt not answered by then fails (and is retried), in ms',
    }),
    COUPONKILL_WEBHOOK_CONCURRENCY: positiveInt.max(256).default(8).meta({
      description: 'webhook deliveries in flight at once',
    }),
    COUPONKILL_CONFIG_FILE: z.string().min(1).optional().meta({
      description:
        'a KEY=value file of settings read at start and watched: a change to a live setting there applies without a restart (a mounted ConfigMap, say)',
    }),
    COUPONKILL_NACOS_SERVER_ADDR: z
      .string()
      .regex(/^[^\s/,]+:\d{1,5}(,[^\s/,]+:\d{1,5})*$/, 'must be host:port, separated by commas')
      .optional()
      .meta({
        description:
          'Nacos servers (host:port, separated by commas): the live configuration layer, above the environment and COUPONKILL_CONFIG_FILE; unset: no Nacos',
      }),
    COUPONKILL_NACOS_NAMESPACE: z
      .string()
      .default('')
      .meta({ description: "the Nacos namespace (its id; empty: Nacos's public one)" }),
    COUPONKILL_NACOS_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : - (1 to 128)')
      .default('DEFAULT_GROUP')
      .meta({ description: 'the Nacos group of the configuration' }),
    COUPONKILL_NACOS_DATA_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,256}$/, 'letters, digits, _ . : - (1 to 256)')
      .default('couponkill.properties')
      .meta({ description: 'the Nacos data id of the configuration (KEY=value lines, like an env file)' }),
    COUPONKILL_NACOS_USERNAME: z.string().min(1).optional().meta({
      description: 'Nacos user, when its auth is on (an environment variable or secret, never a flag)',
    }),
    COUPONKILL_NACOS_PASSWORD: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "the Nacos user's password (an environment variable or secret, never a flag)" }),
    COUPONKILL_NACOS_CONTEXT_PATH: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('nacos')
      .meta({ description: "the Nacos server's context path" }),
  })
  .refine((c) => c.COUPONKILL_REDIS_MODE !== 'sentinel' || c.COUPONKILL_REDIS_SENTINELS.length > 0, {
    message: 'is required when COUPONKILL_REDIS_MODE=sentinel',
    path: ['COUPONKILL_REDIS_SENTINELS'],
  })
  .refine((c) => c.COUPONKILL_REDIS_MODE !== 'cluster' || c.COUPONKILL_REDIS_CLUSTER_NODES.length > 0, {
    message: 'is required when COUPONKILL_REDIS_MODE=cluster',
    path: ['COUPONKILL_REDIS_CLUSTER_NODES'],
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
  .refine((c) => c.COUPONKILL_WEBHOOK_URL === undefined || c.COUPONKILL_WEBHOOK_SECRET !== undefined, {
    message: 'is required when COUPONKILL_WEBHOOK_URL is set',
    path: ['COUPONKILL_WEBHOOK_SECRET'],
  })
  .refine(
    (c) => (c.COUPONKILL_NACOS_USERNAME === undefined) === (c.COUPONKILL_NACOS_PASSWORD === undefined),
    {
      message: 'set both or neither of COUPONKILL_NACOS_USERNAME and COUPONKILL_NACOS_PASSWORD',
      path: ['COUPONKILL_NACOS_PASSWORD'],
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
