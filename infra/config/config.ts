import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { loopbackOrigins } from '../http/cors-policy';
import type { BreakerSettings } from '../resilience/dependency-breaker';
import { configSchema, type RawConfig } from './config-schema';

/** The process roles, each with its own default ops port. */
export type ProcessRole =
  'write-api' | 'read-api' | 'projector' | 'relay' | 'reservation-firer' | 'all-in-one';

export const DEFAULT_OPS_PORTS: Readonly<Record<ProcessRole, number>> = {
  'write-api': 9080,
  'read-api': 9081,
  projector: 9082,
  relay: 9083,
  'reservation-firer': 9084,
  'all-in-one': 9080,
};

/**
 * Admission control, in one object (README, "Admission control"): the circuit breakers in front of the dependencies,
 * the bound of the event store's append queue, the trusted proxies, the login/registration/refresh limits and the
 * bound on password hashing, and the buyer and coupon rates of the seckill route and the read API. Read once at start
 * today; the live configuration to come replaces this object as a whole.
 */
export interface AdmissionSettings {
  /** Every dependency's breaker (the event store, Redis, each read shard) opens and probes by these. */
  readonly breaker: BreakerSettings;
  /** Appends waiting for the event store before more are refused at once with 503 OVERLOADED. */
  readonly eventStoreQueueMax: number;
  /** Retry-After of a 503 OVERLOADED, in seconds. */
  readonly overloadRetryAfterSeconds: number;
  /**
   * Proxies whose `X-Forwarded-For` is believed (addresses, CIDR subnets, proxy-addr's names); empty: never
   * (infra/http/client-address.ts).
   */
  readonly trustedProxies: readonly string[];
  /** What registration, login and token refresh admit before any password is hashed. */
  readonly auth: AuthAdmissionSettings;
  /** Rate limits of the seckill route, checked in process before the stock gate (per replica). */
  readonly seckill: SeckillRateLimits;
  /** Rate limit of the read API (per replica). */
  readonly reads: ReadRateLimits;
}

/** A quota: `quota` requests per `windowSeconds` (a fixed window, counted in Redis across replicas). */
export interface QuotaSettings {
  readonly quota: number;
  readonly windowSeconds: number;
}

/**
 * Admission of the login, registration and refresh routes (README, "Admission control"): per-address quotas, the
 * per-username back-off after wrong passwords, a per-user refresh quota, and the bound on concurrent scrypt hashing.
 */
export interface AuthAdmissionSettings {
  readonly loginPerAddress: QuotaSettings;
  /**
   * After `freeFailures` wrong passwords in a row for one username from one client address, the nth next from there
   * waits baseSeconds × 2^(n-1), at most maxSeconds.
   */
  readonly loginBackoff: {
    readonly freeFailures: number;
    readonly baseSeconds: number;
    readonly maxSeconds: number;
    /**
     * Failures in a row (per client address and username) are forgotten this long after the first of them (a success
     * from that address forgets them at once).
     */
    readonly memorySeconds: number;
  };
  /** Wrong passwords per username from all addresses per window (an hour); past the quota, its logins get 429. */
  readonly loginFailuresPerUsername: QuotaSettings;
  readonly registrationPerAddress: QuotaSettings;
  readonly refreshPerUser: QuotaSettings;
  /** scrypt hashes computed at once, and hashes that may wait for a slot before more are shed (503 OVERLOADED). */
  readonly passwordHashing: { readonly concurrency: number; readonly queue: number };
}

/**
 * The seckill route's in-process limits. Each replica counts on its own (no extra round trip on the hot path): with
 * R replicas a buyer or a coupon gets up to R times these rates. They protect capacity; the per-user limit in the gate
 * is what keeps a sale correct.
 */
export interface SeckillRateLimits {
  /** Seckill requests per buyer per second (429 RATE_LIMITED past it). */
  readonly buyerClicksPerSecond: number;
  /** Requests let through to the gate per coupon per second (503 OVERLOADED past it); null: no such limit. */
  readonly couponAdmissionsPerSecond: number | null;
}

/** The read API's in-process limit, per replica. */
export interface ReadRateLimits {
  /** Authenticated requests per buyer per second (429 RATE_LIMITED past it). */
  readonly buyerRequestsPerSecond: number;
}

/** The notification stream's limits, and the webhook (null: off). */
export interface NotificationSettings {
  readonly stream: {
    /** A comment line this often on a stream with nothing to send. */
    readonly heartbeatMs: number;
    /** How often the shared watcher reads the read model. */
    readonly pollMs: number;
    /** Streams open at once per read-api replica (503 OVERLOADED past it). */
    readonly maxStreams: number;
    /** Streams open at once per buyer per replica (429 TOO_MANY_STREAMS past it). */
    readonly maxStreamsPerUser: number;
    /** How long a stream ticket may be used to connect. */
    readonly ticketTtlSeconds: number;
  };
  readonly webhook: WebhookSettings | null;
}

/** The settings of the web app's two sides: CORS on the write API, the app's serving on the read API. */
export interface WebAppConfig {
  /** Exact origins (`scheme://host[:port]`) allowed to call the write API cross-origin; never empty. */
  readonly corsOrigins: readonly string[];
  /**
   * The write API's URL as browsers reach it (an origin, or an origin and a path without its trailing slash); null:
   * the page's own host on the write-api's port, worked out per request.
   */
  readonly publicWriteApiUrl: string | null;
}

export interface WebhookSettings {
  readonly url: string;
  /** `whsec_<base64>`: the key is the decoded bytes (Standard Webhooks). */
  readonly secret: string;
  readonly maxAttempts: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly timeoutMs: number;
  readonly concurrency: number;
}

export interface Config {
  readonly host: string;
  readonly writeApiPort: number;
  /** Where /healthz, /readyz, /metrics and the lag JSON are served: never the public API ports. */
  readonly ops: {
    readonly host: string;
    /** The port of a role: COUPONKILL_OPS_PORT, else the role's default (DEFAULT_OPS_PORTS). */
    readonly portFor: (role: ProcessRole) => number;
  };
  readonly metrics: {
    /** /metrics also serves every renamed family under its name of 0.1 (infra/metrics/legacy-names.ts). */
    readonly legacyNames: boolean;
  };
  /** listen(2) backlog of every listener; null = the kernel's cap (infra/http/listen.ts). */
  readonly listenBacklog: number | null;
  /** After SIGTERM, how long (ms) readiness fails while the listeners keep serving (bin/process.ts). */
  readonly shutdownDelayMs: number;
  readonly logLevel: RawConfig['COUPONKILL_LOG_LEVEL'];
  readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    readonly commandTimeoutMs: number;
    /** Where the stock gate's Redis is (live: README, "Live configuration"). */
    readonly topology: RedisTopology;
  };
  /** The live layers above the environment: a watched file and Nacos (each null when unset). */
  readonly liveSources: {
    readonly file: string | null;
    readonly nacos: NacosSettings | null;
  };
  readonly eventStore: {
    readonly kind: 'mysql' | 'eventstoredb';
    /** The MySQL store (also where the relay keeps its checkpoint when the store is MySQL). */
    readonly url: string;
    readonly esdbConnectionString: string | null;
    readonly poolSize: number;
    readonly batchMax: number;
    readonly lockWaitSeconds: number;
  };
  readonly jwt: {
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly ttlSeconds: number;
    /** Allowed difference between our clock and the issuer's, for `iat` and `exp`. */
    readonly clockSkewSeconds: number;
    /** A token is renewed only while its login (`auth_time`) is younger than this. */
    readonly maxSessionSeconds: number;
  };
  readonly scryptLog2Cost: number;
  readonly admin: { readonly username: string; readonly password: string } | null;
  readonly bodyLimitBytes: number;
  readonly reconciler: { readonly graceMs: number; readonly intervalMs: number };
  /** Per-coupon seckill outcomes (write-api): how often each process adds what it counted to Redis, in ms. */
  readonly saleStats: { readonly flushMs: number };
  /** The order expiry process: how often it sweeps, and how long before an order's validity ends it is noticed. */
  readonly orderExpiry: { readonly intervalMs: number; readonly noticeLeadMs: number };
  readonly readApiPort: number;
  /** The web app (README, "Web app"): who may call the write API from a page, and where the app finds it. */
  readonly webApp: WebAppConfig;
  readonly seckill: { readonly appendTimeoutMs: number };
  readonly admission: AdmissionSettings;
  readonly read: {
    readonly databaseUrl: string;
    readonly shardUrls: readonly string[];
    readonly shards: number;
    readonly waitMs: number;
    /** Reads waiting for read-your-writes at once; past it they are answered 503 READ_MODEL_BEHIND at once. */
    readonly maxWaiters: number;
  };
  readonly projector: {
    readonly batchSize: number;
    /** Prefix of the member name each projector process takes (a random suffix makes it unique per process). */
    readonly consumerName: string;
    /** Partitions of each projection's stream. */
    readonly partitions: number;
    readonly leaseMs: number;
  };
  readonly relay: { readonly watermarkMs: number };
  readonly notifications: NotificationSettings;
  /** Reservations before a sale and their firer (README, *Reservations*). */
  readonly reservations: {
    readonly priorityMs: number;
    /** Whether relay and all-in-one run the firer too. */
    readonly firerWithRelay: boolean;
    readonly pollMs: number;
    readonly batchSize: number;
    readonly partitions: number;
    readonly leaseMs: number;
    readonly sealMarginMs: number;
  };
  readonly bus: {
    readonly kind: 'redis' | 'rocketmq';
    readonly claimIdleMs: number;
    readonly maxDeliveries: number;
    readonly rocketmq: {
      readonly endpoints: string;
      readonly topic: string;
      readonly groupPrefix: string;
      readonly awaitMs: number;
      readonly namespace: string;
      readonly credentials: { readonly accessKey: string; readonly accessSecret: string } | null;
    };
  };
}

/** A host and TCP port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * The stock gate's Redis: one server (`url`), a primary found through Sentinels, or a Redis Cluster. User and password
 * come from COUPONKILL_REDIS_URL's user info in every mode (Redis ACL `AUTH`); the Sentinels get the same.
 */
export type RedisTopology =
  | { readonly mode: 'standalone'; readonly url: string }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly masterName: string;
      readonly username: string | null;
      readonly password: string | null;
    }
  | {
      readonly mode: 'cluster';
      readonly nodes: readonly HostPort[];
      readonly username: string | null;
      readonly password: string | null;
    };

/** Where the Nacos layer is read (HTTP v1 config API); credentials only from the environment. */
export interface NacosSettings {
  readonly serverAddrs: readonly string[];
  readonly namespace: string;
  readonly group: string;
  readonly dataId: string;
  readonly contextPath: string;
  readonly credentials: { readonly username: string; readonly password: string } | null;
}

const hostPortOf = (entry: string): HostPort => {
  const colon = entry.lastIndexOf(':');
  return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
};

/** The Redis topology the settings name (COUPONKILL_REDIS_MODE and the list of its mode). */
const topologyOf = (c: RawConfig): RedisTopology => {
  if (c.COUPONKILL_REDIS_MODE === 'standalone') return { mode: 'standalone', url: c.COUPONKILL_REDIS_URL };
  const parsed = new URL(c.COUPONKILL_REDIS_URL);
  const username = parsed.username ? decodeURIComponent(parsed.username) : null;
  const password = parsed.password ? decodeURIComponent(parsed.password) : null;
  return c.COUPONKILL_REDIS_MODE === 'sentinel'
    ? {
        mode: 'sentinel',
        sentinels: c.COUPONKILL_REDIS_SENTINELS.map(hostPortOf),
        masterName: c.COUPONKILL_REDIS_SENTINEL_MASTER,
        username,
        password,
      }
    : { mode: 'cluster', nodes: c.COUPONKILL_REDIS_CLUSTER_NODES.map(hostPortOf), username, password };
};

/** A URL in the form the app joins paths to: `https://api.example` for `https://api.example/`, no slash at the end. */
const withoutTrailingSlash = (value: string): string => {
  const url = new URL(value);
  return url.pathname === '/' ? url.origin : `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** libuv's thread pool size as Node reads UV_THREADPOOL_SIZE (default 4, 1 to 1024). */
const threadPoolSize = (value: string | undefined): number => {
  const size = Number(value);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
};

/** Reads and validates the configuration once; every problem is reported by the variable that holds it. */
export const loadConfig = (env: NodeJS.ProcessEnv): Config => {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`),
    );
  }
  const c = parsed.data;
  return {
    host: c.COUPONKILL_HOST,
    writeApiPort: c.COUPONKILL_WRITE_API_PORT,
    ops: {
      host: c.COUPONKILL_OPS_HOST,
      portFor: (role) =>
        c.COUPONKILL_OPS_PORT ??
        // The names of 0.1: the ports of the roles that served only ops endpoints.
        (role === 'projector' ? c.COUPONKILL_PROJECTOR_PORT : undefined) ??
        (role === 'relay' ? c.COUPONKILL_RELAY_PORT : undefined) ??
        DEFAULT_OPS_PORTS[role],
    },
    metrics: { legacyNames: c.COUPONKILL_METRICS_LEGACY_NAMES === 'on' },
    listenBacklog: c.COUPONKILL_LISTEN_BACKLOG ?? null,
    shutdownDelayMs: c.COUPONKILL_SHUTDOWN_DELAY_MS,
    logLevel: c.COUPONKILL_LOG_LEVEL,
    redis: {
      url: c.COUPONKILL_REDIS_URL,
      keyPrefix: c.COUPONKILL_REDIS_KEY_PREFIX,
      commandTimeoutMs: c.COUPONKILL_REDIS_COMMAND_TIMEOUT_MS,
      topology: topologyOf(c),
    },
    liveSources: {
      file: c.COUPONKILL_CONFIG_FILE ?? null,
      nacos: c.COUPONKILL_NACOS_SERVER_ADDR
        ? {
            serverAddrs: c.COUPONKILL_NACOS_SERVER_ADDR.split(','),
            namespace: c.COUPONKILL_NACOS_NAMESPACE,
            group: c.COUPONKILL_NACOS_GROUP,
            dataId: c.COUPONKILL_NACOS_DATA_ID,
            contextPath: c.COUPONKILL_NACOS_CONTEXT_PATH,
            credentials:
              c.COUPONKILL_NACOS_USERNAME && c.COUPONKILL_NACOS_PASSWORD
                ? { username: c.COUPONKILL_NACOS_USERNAME, password: c.COUPONKILL_NACOS_PASSWORD }
                : null,
          }
        : null,
    },
    eventStore: {
      kind: c.COUPONKILL_EVENT_STORE,
      url: c.COUPONKILL_EVENT_STORE_URL,
      esdbConnectionString: c.COUPONKILL_ESDB_CONNECTION_STRING ?? null,
      poolSize: c.COUPONKILL_EVENT_STORE_POOL_SIZE,
      batchMax: c.COUPONKILL_EVENT_STORE_BATCH_MAX,
      lockWaitSeconds: c.COUPONKILL_EVENT_STORE_LOCK_WAIT_SECONDS,
    },
    jwt: {
      secret: c.COUPONKILL_JWT_SECRET,
      issuer: c.COUPONKILL_JWT_ISSUER,
      audience: c.COUPONKILL_JWT_AUDIENCE,
      ttlSeconds: c.COUPONKILL_JWT_TTL_SECONDS,
      clockSkewSeconds: c.COUPONKILL_JWT_CLOCK_SKEW_SECONDS,
      maxSessionSeconds: c.COUPONKILL_JWT_MAX_SESSION_SECONDS,
    },
    scryptLog2Cost: c.COUPONKILL_SCRYPT_LOG2_COST,
    admin:
      c.COUPONKILL_ADMIN_USERNAME && c.COUPONKILL_ADMIN_PASSWORD
        ? { username: c.COUPONKILL_ADMIN_USERNAME, password: c.COUPONKILL_ADMIN_PASSWORD }
        : null,
    bodyLimitBytes: c.COUPONKILL_BODY_LIMIT_BYTES,
    reconciler: { graceMs: c.COUPONKILL_RECONCILE_GRACE_MS, intervalMs: c.COUPONKILL_RECONCILE_INTERVAL_MS },
    saleStats: { flushMs: c.COUPONKILL_SALE_STATS_FLUSH_MS },
    orderExpiry: {
      intervalMs: c.COUPONKILL_ORDER_EXPIRY_INTERVAL_MS,
      noticeLeadMs: c.COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS * 1000,
    },
    readApiPort: c.COUPONKILL_READ_API_PORT,
    webApp: {
      corsOrigins:
        c.COUPONKILL_CORS_ORIGINS.length > 0
          ? c.COUPONKILL_CORS_ORIGINS
          : loopbackOrigins(c.COUPONKILL_READ_API_PORT),
      publicWriteApiUrl:
        c.COUPONKILL_PUBLIC_WRITE_API_URL === undefined
          ? null
          : withoutTrailingSlash(c.COUPONKILL_PUBLIC_WRITE_API_URL),
    },
    seckill: { appendTimeoutMs: c.COUPONKILL_SECKILL_APPEND_TIMEOUT_MS },
    admission: {
      breaker: {
        consecutiveFailures: c.COUPONKILL_BREAKER_CONSECUTIVE_FAILURES,
        failureRatio: c.COUPONKILL_BREAKER_FAILURE_RATIO,
        windowMs: c.COUPONKILL_BREAKER_WINDOW_MS,
        minimumCalls: c.COUPONKILL_BREAKER_MIN_CALLS,
        halfOpenAfterMs: c.COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS,
      },
      // Ten group commits' worth with the defaults: a queued append waits for at most about that many commits.
      eventStoreQueueMax:
        c.COUPONKILL_EVENT_STORE_QUEUE_MAX ??
        c.COUPONKILL_EVENT_STORE_BATCH_MAX * c.COUPONKILL_EVENT_STORE_POOL_SIZE,
      overloadRetryAfterSeconds: c.COUPONKILL_OVERLOAD_RETRY_AFTER_SECONDS,
      trustedProxies: c.COUPONKILL_TRUSTED_PROXIES,
      auth: {
        loginPerAddress: {
          quota: c.COUPONKILL_LOGIN_ADDRESS_LIMIT,
          windowSeconds: c.COUPONKILL_LOGIN_ADDRESS_WINDOW_SECONDS,
        },
        loginBackoff: {
          freeFailures: c.COUPONKILL_LOGIN_FREE_FAILURES,
          baseSeconds: c.COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS,
          maxSeconds: Math.max(
            c.COUPONKILL_LOGIN_BACKOFF_MAX_SECONDS,
            c.COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS,
          ),
          memorySeconds: c.COUPONKILL_LOGIN_FAILURE_MEMORY_SECONDS,
        },
        loginFailuresPerUsername: {
          quota: c.COUPONKILL_LOGIN_USERNAME_FAILURES_PER_HOUR,
          windowSeconds: 3600,
        },
        registrationPerAddress: {
          quota: c.COUPONKILL_REGISTRATION_ADDRESS_LIMIT,
          windowSeconds: c.COUPONKILL_REGISTRATION_ADDRESS_WINDOW_SECONDS,
        },
        refreshPerUser: {
          quota: c.COUPONKILL_TOKEN_REFRESH_LIMIT,
          windowSeconds: c.COUPONKILL_TOKEN_REFRESH_WINDOW_SECONDS,
        },
        passwordHashing: {
          // One libuv thread stays free of scrypt for what else needs the pool (zlib bodies, DNS, fs).
          concurrency:
            c.COUPONKILL_PASSWORD_HASHING_CONCURRENCY ??
            Math.max(1, threadPoolSize(env.UV_THREADPOOL_SIZE) - 1),
          queue: c.COUPONKILL_PASSWORD_HASHING_QUEUE,
        },
      },
      seckill: {
        buyerClicksPerSecond: c.COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND,
        couponAdmissionsPerSecond: c.COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND || null,
      },
      reads: { buyerRequestsPerSecond: c.COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND },
    },
    read: {
      databaseUrl: c.COUPONKILL_READ_DATABASE_URL,
      shardUrls: c.COUPONKILL_READ_SHARD_URLS,
      shards: c.COUPONKILL_READ_SHARDS,
      waitMs: c.COUPONKILL_READ_WAIT_MS,
      maxWaiters: c.COUPONKILL_READ_MAX_WAITERS,
    },
    projector: {
      batchSize: c.COUPONKILL_PROJECTOR_BATCH,
      consumerName: c.COUPONKILL_CONSUMER_NAME ?? hostname(),
      partitions: c.COUPONKILL_PROJECTION_PARTITIONS,
      leaseMs: c.COUPONKILL_PROJECTOR_LEASE_MS,
    },
    relay: { watermarkMs: c.COUPONKILL_RELAY_WATERMARK_MS },
    notifications: {
      stream: {
        heartbeatMs: c.COUPONKILL_NOTIFICATION_STREAM_HEARTBEAT_MS,
        pollMs: c.COUPONKILL_NOTIFICATION_STREAM_POLL_MS,
        maxStreams: c.COUPONKILL_NOTIFICATION_STREAMS_MAX,
        maxStreamsPerUser: c.COUPONKILL_NOTIFICATION_STREAMS_PER_USER,
        ticketTtlSeconds: c.COUPONKILL_NOTIFICATION_STREAM_TICKET_TTL_SECONDS,
      },
      webhook:
        c.COUPONKILL_WEBHOOK_URL && c.COUPONKILL_WEBHOOK_SECRET
          ? {
              url: c.COUPONKILL_WEBHOOK_URL,
              secret: c.COUPONKILL_WEBHOOK_SECRET,
              maxAttempts: c.COUPONKILL_WEBHOOK_MAX_ATTEMPTS,
              backoff: {
                initialMs: c.COUPONKILL_WEBHOOK_BACKOFF_INITIAL_MS,
                maxMs: Math.max(c.COUPONKILL_WEBHOOK_BACKOFF_MAX_MS, c.COUPONKILL_WEBHOOK_BACKOFF_INITIAL_MS),
              },
              timeoutMs: c.COUPONKILL_WEBHOOK_TIMEOUT_MS,
              concurrency: c.COUPONKILL_WEBHOOK_CONCURRENCY,
            }
          : null,
    },
    reservations: {
      priorityMs: c.COUPONKILL_RESERVATION_PRIORITY_MS,
      firerWithRelay: c.COUPONKILL_RESERVATION_FIRER === 'on',
      pollMs: c.COUPONKILL_RESERVATION_FIRER_POLL_MS,
      batchSize: c.COUPONKILL_RESERVATION_FIRER_BATCH,
      partitions: c.COUPONKILL_RESERVATION_FIRER_PARTITIONS,
      leaseMs: c.COUPONKILL_RESERVATION_FIRER_LEASE_MS,
      sealMarginMs: c.COUPONKILL_RESERVATION_SEAL_MARGIN_MS,
    },
    bus: {
      kind: c.COUPONKILL_BUS,
      claimIdleMs: c.COUPONKILL_BUS_CLAIM_IDLE_MS,
      maxDeliveries: c.COUPONKILL_BUS_MAX_DELIVERIES,
      rocketmq: {
        endpoints: c.COUPONKILL_ROCKETMQ_ENDPOINTS,
        topic: c.COUPONKILL_ROCKETMQ_TOPIC,
        groupPrefix: c.COUPONKILL_ROCKETMQ_GROUP_PREFIX,
        awaitMs: c.COUPONKILL_ROCKETMQ_AWAIT_MS,
        namespace: c.COUPONKILL_ROCKETMQ_NAMESPACE,
        credentials:
          c.COUPONKILL_ROCKETMQ_ACCESS_KEY && c.COUPONKILL_ROCKETMQ_SECRET_KEY
            ? { accessKey: c.COUPONKILL_ROCKETMQ_ACCESS_KEY, accessSecret: c.COUPONKILL_ROCKETMQ_SECRET_KEY }
            : null,
      },
    },
  };
};

/** Loads `KEY=value` lines from an env file into the environment, without overriding what is already set. */
export const loadEnvFile = (path: string): void => {
  if (existsSync(path)) process.loadEnvFile(path);
};

export type SettingName = keyof typeof configSchema.shape;

/**
 * The settings a running process applies when a live layer (COUPONKILL_CONFIG_FILE, Nacos) changes them: those the
 * schema marks `live`. Every other setting is restart-only: a live change to it is reported, never applied.
 */
export const LIVE_SETTINGS: ReadonlySet<SettingName> = new Set(
  (Object.entries(configSchema.shape) as [SettingName, z.ZodType][])
    .filter(([, schema]) => schema.meta()?.live === true)
    .map(([name]) => name),
);

/** Whether a name is a setting of the schema. */
export const isSettingName = (name: string): name is SettingName => Object.hasOwn(configSchema.shape, name);

/** One setting as `couponkill --help` lists it. */
export interface SettingHelp {
  readonly name: SettingName;
  /** One line: what it sets. */
  readonly meaning: string;
  /** The values it takes, when it has a fixed set. */
  readonly choices: readonly string[] | null;
  /** The default as a user would type it (or what stands in for it); null when the setting is required. */
  readonly default: string | null;
  /** A live layer (COUPONKILL_CONFIG_FILE, Nacos) changes it in a running process; otherwise it is restart-only. */
  readonly live: boolean;
}

/** Defaults worked out in loadConfig rather than held by the schema. */
const COMPUTED_DEFAULTS: Partial<Record<SettingName, string>> = {
  COUPONKILL_OPS_PORT: `the role's: ${Object.entries(DEFAULT_OPS_PORTS)
    .map(([role, port]) => `${role} ${port}`)
    .join(', ')}`,
  COUPONKILL_CONSUMER_NAME: 'the host name',
  COUPONKILL_CORS_ORIGINS:
    "the read-api's own origin on loopback: http://localhost, http://127.0.0.1 and http://[::1] on COUPONKILL_READ_API_PORT",
  COUPONKILL_PUBLIC_WRITE_API_URL: "the page's own host on COUPONKILL_WRITE_API_PORT",
};

const typed = (value: unknown): string => {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(String).join(',');
  if (value === undefined || value === '') return 'none';
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
};

const describe = (name: SettingName, schema: z.ZodType): SettingHelp => {
  const meta = schema.meta() ?? {};
  const inner = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
  const parsed = schema.safeParse(undefined);
  const shown = COMPUTED_DEFAULTS[name] ?? (typeof meta.shownDefault === 'string' ? meta.shownDefault : null);
  return {
    name,
    meaning: meta.description ?? '(undocumented)',
    choices: inner instanceof z.ZodEnum ? inner.options.map(String) : null,
    default: shown ?? (parsed.success ? typed(parsed.data) : null),
    live: meta.live === true,
  };
};

/** Every setting with its meaning and default, in the schema's order: the schema is the one place they are written. */
export const describeSettings = (): SettingHelp[] =>
  (Object.entries(configSchema.shape) as [SettingName, z.ZodType][]).map(([name, schema]) =>
    describe(name, schema),
  );

/** A setting's default as a user would type it (`2`, `redis://127.0.0.1:6379`); `required` when it has none. */
export const settingDefault = (name: SettingName): string =>
  describe(name, configSchema.shape[name]).default ?? 'required';

const wrap = (text: string, width: number, indent: string): string => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
};

/** The settings as a help section: each variable on a line of its own, its meaning and default indented below. */
export const renderSettingsHelp = (width = 80): string =>
  describeSettings()
    .map((s) => {
      const facts = [
        ...(s.choices ? [`one of: ${s.choices.join(', ')}`] : []),
        s.default === null ? 'required' : `default: ${s.default}`,
        ...(s.live ? ['live'] : []),
      ];
      return `  ${s.name}\n${wrap(`${s.meaning} (${facts.join('; ')})`, width, '      ')}`;
    })
    .join('\n');
