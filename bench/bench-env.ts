import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { deleteKeysMatching } from '../infra/redis/delete-keys-matching';
import { createConnection } from 'mysql2/promise';
import { SERVICES_SCRIPT } from './paths';

/** Ports 28000–28999 belong to the benchmark. */
export const PORTS = {
  writeApi: 28080,
  readApi: 28081,
  writeApiOps: 28090,
  readApiOps: 28091,
  projectorOps: 28092,
  relayOps: 28093,
  bare: 28101,
  express: 28102,
  naive: 28103,
  /** The projection scale-out stage: its read-api (API and ops listener), relay, and projector replica i at +i. */
  scalingReadApi: 28201,
  scalingReadApiOps: 28202,
  scalingRelayOps: 28203,
  scalingProjectorOps: 28210,
} as const;

export interface BenchEnv {
  readonly runId: string;
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly jwtSecret: string;
  readonly keyPrefix: string;
  /** Database names of this run; all start with `ckb_<runId>` so cleanup finds them. */
  readonly databases: {
    readonly events: string;
    readonly read: string;
    readonly naive: string;
    readonly raw: string;
    readonly replayEvents: string;
    readonly replayRead: string;
    /** The scale-out stage's event store, when it is not the replay store. */
    readonly scalingEvents: string;
    /** The read catalog of one scale-out configuration (`label`: letters and digits). */
    scalingRead(label: string): string;
  };
  /** Environment of a CouponKill process of this run (the live system, or the replay store when `replay`). */
  cliEnv(store: 'live' | 'replay'): NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Starts Redis and MariaDB the way the README does and names this run's private databases and key prefix. */
export const prepareBenchEnv = (): BenchEnv => {
  execFileSync('bash', [SERVICES_SCRIPT, 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exported = execFileSync('bash', [SERVICES_SCRIPT, 'env'], { encoding: 'utf8' });
  const setting = (name: string): string => {
    const value = new RegExp(`^export ${name}=(.+)$`, 'm').exec(exported)?.[1];
    if (!value) throw new Error(`scripts/services.sh env did not set ${name}`);
    return value.trim();
  };
  const runId = randomBytes(3).toString('hex');
  const redisUrl = process.env.COUPONKILL_REDIS_URL ?? setting('COUPONKILL_REDIS_URL');
  const mysqlUrl = process.env.COUPONKILL_MYSQL_URL ?? setting('COUPONKILL_MYSQL_URL');
  const jwtSecret = randomBytes(24).toString('hex');
  const keyPrefix = `ckb${runId}`;
  const base = `ckb_${runId}`;
  const databases = {
    events: `${base}_events`,
    read: `${base}_read`,
    naive: `${base}_naive`,
    raw: `${base}_raw`,
    replayEvents: `${base}_replay_events`,
    replayRead: `${base}_replay_read`,
    scalingEvents: `${base}_scaling_events`,
    scalingRead: (label: string) => `${base}_scaling_${label}`,
  };
  return {
    runId,
    redisUrl,
    mysqlUrl,
    jwtSecret,
    keyPrefix,
    databases,
    cliEnv: (store) => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      COUPONKILL_HOST: '127.0.0.1',
      COUPONKILL_LOG_LEVEL: 'warn',
      COUPONKILL_REDIS_URL: redisUrl,
      COUPONKILL_REDIS_KEY_PREFIX: store === 'live' ? keyPrefix : `${keyPrefix}r`,
      COUPONKILL_EVENT_STORE_URL: `${mysqlUrl}/${store === 'live' ? databases.events : databases.replayEvents}`,
      COUPONKILL_READ_DATABASE_URL: `${mysqlUrl}/${store === 'live' ? databases.read : databases.replayRead}`,
      COUPONKILL_JWT_SECRET: jwtSecret,
      COUPONKILL_WRITE_API_PORT: String(PORTS.writeApi),
      COUPONKILL_READ_API_PORT: String(PORTS.readApi),
      COUPONKILL_CONSUMER_NAME: `bench-${runId}`,
    }),
    cleanup: async () => {
      const connection = await createConnection({ uri: mysqlUrl });
      try {
        const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}%'`);
        for (const row of rows as Record<string, string>[])
          await connection.query(`DROP DATABASE IF EXISTS \`${String(Object.values(row)[0])}\``);
      } finally {
        await connection.end();
      }
      await deleteKeysMatching(redisUrl, `${keyPrefix}*`);
    },
  };
};
