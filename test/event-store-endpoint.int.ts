import { createConnection } from 'mysql2/promise';
import { steadySeckillLoad, unexpectedOutcomes } from './support/seckill-load';
import { RNACOS_ADDR, startLiveWriteApis, type LiveCluster } from './support/live-write-apis';

const PRIMARY = process.env.COUPONKILL_TEST_MYSQL_PRIMARY_URL;
const REPLICA = process.env.COUPONKILL_TEST_MYSQL_REPLICA_URL;
const APP_USER = process.env.COUPONKILL_TEST_MYSQL_APP_USER ?? 'ckapp:ckapp';
const skipReason = !RNACOS_ADDR
  ? 'COUPONKILL_RNACOS_ADDR is not set (scripts/nacos.sh up)'
  : !PRIMARY || !REPLICA
    ? 'COUPONKILL_TEST_MYSQL_PRIMARY_URL / _REPLICA_URL are not set (scripts/mariadb-replicas.sh up)'
    : null;

/** The application's URL of a server of the pair, for one database. */
const appUrl = (adminUrl: string, database: string) => {
  const url = new URL(adminUrl);
  const [user = '', password = ''] = APP_USER.split(':');
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
};

const admin = async <T>(adminUrl: string, sql: string): Promise<T> => {
  const connection = await createConnection({ uri: adminUrl });
  try {
    const [rows] = await connection.query(sql);
    return rows as T;
  } finally {
    await connection.end();
  }
};

/**
 * The event store's MySQL primary changes under a steady seckill load on two write-apis, the way a MariaDB switchover
 * goes: the old primary is made read-only (appends are answered 503 meanwhile), the replica catches up and is promoted,
 * and its address is published in Nacos. A replica not promoted yet is refused; once promoted, every process moves to
 * it with nothing lost: every order ever accepted is in the new primary's log, and sales go on there.
 */
(skipReason ? describe.skip : describe)('moving the event store to a promoted replica, under load', () => {
  let cluster: LiveCluster;
  let database: string;

  beforeAll(async () => {
    database = `ck_endpoint_${Date.now().toString(36)}`;
    cluster = await startLiveWriteApis(RNACOS_ADDR!, 2, {
      COUPONKILL_EVENT_STORE_URL: appUrl(PRIMARY!, database),
      COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await cluster.close();
    await admin(REPLICA!, `DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    // The pair starts again fresh (replicating) for the next run.
    const { spawnSync } = await import('node:child_process');
    const script = `${__dirname}/../scripts/mariadb-replicas.sh`;
    spawnSync('bash', [script, 'down'], { stdio: 'ignore' });
    spawnSync('bash', [script, 'up'], { stdio: 'ignore' });
  });

  it('refuses the replica until it is promoted, then moves with nothing lost', async () => {
    const big = await cluster.createCoupon({ totalStock: 100_000, perUserLimit: 100 });
    const scarce = await cluster.createCoupon({ totalStock: 150, perUserLimit: 100 });
    const load = steadySeckillLoad(
      cluster.apis.map(({ api }) => api.url),
      [scarce, big, big],
      { workers: 12, buyersPerWorker: 30 },
    );
    const outcomes = load.outcomes;
    await new Promise((r) => setTimeout(r, 1500));

    // The switchover: the old primary stops taking writes, the replica catches up.
    const stoppedAt = Date.now();
    await admin(PRIMARY!, 'SET GLOBAL read_only = 1');
    const head = async (url: string) =>
      Number(
        (
          await admin<{ head: string | number | null }[]>(
            url,
            `SELECT MAX(global_position) AS head FROM \`${database}\`.events`,
          )
        )[0]?.head ?? 0,
      );
    const primaryHead = await head(PRIMARY!);
    while ((await head(REPLICA!)) < primaryHead) await new Promise((r) => setTimeout(r, 100));

    // Not promoted yet: refused, and the processes stay on the old primary.
    const refused = await cluster.change(
      `COUPONKILL_EVENT_STORE_URL=${appUrl(REPLICA!, database)}\n`,
      15_000,
    );
    for (const status of refused) expect(status.lastRejection?.reason).toMatch(/read-only/);

    await admin(REPLICA!, 'STOP SLAVE');
    await admin(REPLICA!, 'RESET SLAVE ALL');
    await admin(REPLICA!, 'SET GLOBAL read_only = 0');
    // The same content again would not be a change to Nacos: a comment makes it one (README, "Live configuration").
    const moved = await cluster.change(
      `# promoted ${new Date().toISOString()}\nCOUPONKILL_EVENT_STORE_URL=${appUrl(REPLICA!, database)}\n`,
      15_000,
    );
    const movedAt = Date.now();
    for (const status of moved) expect(status.applied).toBe(1);
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();

    const failures = unexpectedOutcomes(outcomes);
    expect(failures).toEqual([]);
    const retriable = outcomes.filter((o) => o.status === 503);
    for (const o of retriable) {
      expect(['DEPENDENCY_UNAVAILABLE', 'GATE_RECOVERING', 'OVERLOADED']).toContain(o.code);
      expect(o.at).toBeGreaterThanOrEqual(stoppedAt);
      expect(o.at).toBeLessThanOrEqual(movedAt + 1000);
    }
    const accepted = outcomes.filter((o) => o.status === 201);
    expect(accepted.some((o) => o.at > movedAt)).toBe(true);

    // Nothing lost: every accepted order, before and after the move, is in the new primary's log, once.
    const rows = await admin<
      { stream_id: string; type: string; data: string | { orderId?: string; couponId?: string } }[]
    >(REPLICA!, `SELECT data FROM \`${database}\`.events WHERE event_type = 'OrderPlaced'`);
    const placed = rows.map(
      (row) =>
        (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as {
          orderId: string;
          couponId: string;
        },
    );
    const stored = new Set(placed.map((p) => p.orderId));
    for (const o of accepted) expect(stored.has(o.orderId!)).toBe(true);
    expect(stored.size).toBe(accepted.length);
    expect(placed.filter((p) => p.couponId === scarce).length).toBeLessThanOrEqual(150);
    console.log(
      `event store moved to the promoted replica ${String(movedAt - stoppedAt)} ms after the old primary went read-only; ` +
        `${String(outcomes.length)} seckills: ${String(accepted.length)} placed, ${String(retriable.length)} retriable 503`,
    );
  }, 120_000);
});
