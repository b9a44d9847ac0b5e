import type { ChildProcess } from 'node:child_process';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { auditReadModels } from '../bench/read-model-audit';
import { startRoles, type RunningProcess } from '../bin/process';
import { PROJECTION_NAMES } from '../projections/projection';
import { provisionRocketMqProjections, ROCKETMQ_ENDPOINTS } from './support/rocketmq-env';
import { envOf, freePort, startCliServer } from './support/child-process';
import { pool } from './support/pool';
import { request, tokenFor } from './support/http-client';
import { waitForZeroLag } from './support/projection-lag';
import { createTestEnv, type TestEnv } from './support/test-env';

const PARTITIONS = 6;
/** Short leases so that a SIGKILLed replica's partitions move within seconds; the heartbeat is a sixth of it. */
const LEASE_MS = 2000;
/** A phase sells, rebalances and audits: a few minutes on a busy two-core CI machine with RocketMQ's JVMs. */
const PHASE_MS = 360_000;
/** RocketMQ: how long a killed replica's received messages stay invisible (its invisible time). */
const INVISIBLE_MS = 3000;

const buses: [string, () => Promise<Record<string, string>>][] = [
  ['Redis Streams', () => Promise.resolve({})],
  [
    'RocketMQ 5',
    async () => {
      const { topic, groupPrefix } = await provisionRocketMqProjections(PARTITIONS, PROJECTION_NAMES);
      return {
        COUPONKILL_BUS: 'rocketmq',
        COUPONKILL_ROCKETMQ_ENDPOINTS: ROCKETMQ_ENDPOINTS,
        COUPONKILL_ROCKETMQ_TOPIC: topic,
        COUPONKILL_ROCKETMQ_GROUP_PREFIX: groupPrefix,
        COUPONKILL_ROCKETMQ_AWAIT_MS: '1000',
        COUPONKILL_BUS_CLAIM_IDLE_MS: String(INVISIBLE_MS),
      };
    },
  ],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(buses)(
  'projectors scale out over partitions (%s, real MariaDB and Redis)',
  (_bus, busSettings) => {
    let env: TestEnv;
    let app: RunningProcess;
    let catalog: Connection;
    let settings: Record<string, string>;
    const admin = tokenFor('admin', 'admin');
    const replicas = new Map<string, ChildProcess>();
    let coupons: string[] = [];

    beforeAll(async () => {
      settings = {
        ...(await busSettings()),
        COUPONKILL_PROJECTION_PARTITIONS: String(PARTITIONS),
        COUPONKILL_PROJECTOR_LEASE_MS: String(LEASE_MS),
      };
      env = createTestEnv(settings);
      app = await startRoles(
        env.config,
        { writeApi: 0, readApi: 0, relay: true, projectors: [] },
        'all-in-one',
      );
      catalog = await createConnection({ uri: env.config.read.databaseUrl });
      coupons = await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
            token: admin,
            body: {
              name: `scale-${i}`,
              faceValueCents: 100,
              totalStock: 900,
              perUserLimit: 3,
              saleStartsAt: '2026-01-01T00:00:00Z',
              saleEndsAt: '2099-01-01T00:00:00Z',
            },
          });
          return String(created.body.couponId);
        }),
      );
    }, 180_000);
    afterAll(async () => {
      for (const child of replicas.values()) if (child.exitCode === null) child.kill('SIGKILL');
      await catalog.end();
      await app.stop();
      await env.cleanup();
    });

    const startReplica = async (name: string): Promise<void> => {
      const port = await freePort();
      const child = await startCliServer(
        ['projector'],
        envOf(env.config, {
          ...settings,
          COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
          COUPONKILL_CONSUMER_NAME: name,
          COUPONKILL_OPS_PORT: String(port),
          COUPONKILL_PROJECTOR_BATCH: '50',
        }),
        `http://127.0.0.1:${port}/healthz`,
      );
      replicas.set(name, child);
    };
    const stopReplica = async (name: string, signal: NodeJS.Signals): Promise<void> => {
      const child = replicas.get(name)!;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    };

    /** Live owners' replica names (the part before the random suffix) of each projection's partitions. */
    const owners = async (): Promise<Map<string, (string | null)[]>> => {
      const [rows] = await catalog.query<RowDataPacket[]>(
        `SELECT projection, partition_no, owner, expires_at > NOW(3) AS live FROM projection_leases`,
      );
      const result = new Map<string, (string | null)[]>(
        PROJECTION_NAMES.map((p) => [p, Array.from({ length: PARTITIONS }, () => null)]),
      );
      // The table holds other lease groups too (the order expiry's single lease): only projections' partitions count.
      for (const row of rows) {
        const partitions = result.get(String(row.projection));
        if (partitions && Number(row.live) === 1 && row.owner)
          partitions[Number(row.partition_no)] = String(row.owner).replace(/-[0-9a-f]{8}$/, '');
      }
      return result;
    };
    /** Waits until every partition of every projection is owned, by these replicas in equal shares; answers the ms. */
    const awaitShares = async (names: readonly string[], withinMs: number): Promise<number> => {
      const started = Date.now();
      let last: unknown;
      while (Date.now() - started < withinMs) {
        const now = await owners();
        last = Object.fromEntries(now);
        const fair = [...now.values()].every((list) => {
          const counts = names.map((n) => list.filter((o) => o === n).length);
          return (
            list.every((o) => o !== null && names.includes(o)) &&
            Math.max(...counts) - Math.min(...counts) <= 1
          );
        });
        if (fair) return Date.now() - started;
        await sleep(100);
      }
      throw new Error(
        `partitions not shared by ${names.join(', ')} within ${withinMs} ms: ${JSON.stringify(last)}`,
      );
    };

    const lag = async () => (await request(app.urls.readApi!, 'GET', '/api/v1/projections/lag')).body;
    /** At least `withinMs`: the polls are 100 ms apart, plus their own time. */
    const awaitZeroLag = (withinMs = 120_000): Promise<void> =>
      waitForZeroLag(app.urls.readApi!, withinMs / 100);

    /** Seckills by many buyers over the coupons, then cancels and uses of some of the orders won. */
    let wave = 0;
    const sale = async (buyers: number): Promise<void> => {
      wave += 1;
      const clicks = Array.from({ length: buyers * 2 }, (_, i) => ({
        userId: `w${wave}-${i % buyers}`,
        couponId: coupons[i % coupons.length]!,
      }));
      const won = (
        await pool(clicks, 48, async ({ userId, couponId }) => {
          const r = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
            token: tokenFor(userId),
          });
          return r.status === 201 ? { userId, orderId: String(r.body.orderId) } : null;
        })
      ).filter((o) => o !== null);
      // Two orders in five change status: one cancelled, one used.
      const changes = won.flatMap((order, i) =>
        i % 5 === 0 ? [{ ...order, action: 'cancel' }] : i % 5 === 1 ? [{ ...order, action: 'use' }] : [],
      );
      await pool(changes, 24, ({ userId, orderId, action }) =>
        request(app.urls.writeApi!, 'POST', `/api/v1/orders/${orderId}/${action}`, {
          token: tokenFor(userId),
        }),
      );
    };

    const expectExactReadModels = async (): Promise<void> => {
      const audit = await auditReadModels(env.config.eventStore.url, env.config.read.databaseUrl);
      expect(audit.mismatches).toEqual([]);
      expect(audit.orders).toBeGreaterThan(0);
    };

    it(
      'one replica owns every partition and builds exact read models',
      async () => {
        await startReplica('solo');
        await awaitShares(['solo'], 30_000);
        await sale(500);
        await awaitZeroLag();
        await expectExactReadModels();
        const body = await lag();
        for (const name of PROJECTION_NAMES)
          expect(
            Object.keys((body.projections as Record<string, { partitions: object }>)[name]!.partitions),
          ).toHaveLength(PARTITIONS);
      },
      PHASE_MS,
    );

    it(
      'two replicas that join share the partitions within a bounded time, and the read models stay exact',
      async () => {
        await Promise.all([startReplica('second'), startReplica('third')]);
        const ms = await awaitShares(['solo', 'second', 'third'], LEASE_MS * 4);
        console.log(`rebalance 1 → 3 replicas (${_bus}): ${ms} ms`);
        await sale(500);
        await awaitZeroLag();
        await expectExactReadModels();
      },
      PHASE_MS,
    );

    it(
      'replicas apply batches side by side: one held in its transaction does not hold up the others',
      async () => {
        // A long transaction of replica "second" on its partition's checkpoint row in shard 0 (what a slow batch does).
        const [leases] = await catalog.query<RowDataPacket[]>(
          `SELECT partition_no, owner FROM projection_leases WHERE projection = 'orders' ORDER BY partition_no`,
        );
        const ownerOf = (p: number) => String(leases.find((r) => Number(r.partition_no) === p)?.owner ?? '');
        const held = leases.map((r) => Number(r.partition_no)).find((p) => ownerOf(p).startsWith('second-'))!;
        const others = leases
          .map((r) => Number(r.partition_no))
          .filter((p) => !ownerOf(p).startsWith('second-'));
        const [live] = await catalog.query<RowDataPacket[]>(
          `SELECT generation FROM read_model_generations WHERE projection = 'orders' AND state = 'live'`,
        );
        const generation = Number(live[0]!.generation);
        const shard = await createConnection({ uri: `${env.config.read.databaseUrl}_0` });
        const checkpoints = async () => {
          const [cps] = await shard.query<RowDataPacket[]>(
            `SELECT partition_no, position FROM projection_partition_checkpoints
           WHERE projection = 'orders' AND generation = ?`,
            [generation],
          );
          return new Map(cps.map((r) => [Number(r.partition_no), BigInt(String(r.position))]));
        };
        const locker = await createConnection({ uri: `${env.config.read.databaseUrl}_0` });
        try {
          const before = await checkpoints();
          await locker.beginTransaction();
          await locker.query(
            `SELECT position FROM projection_partition_checkpoints
           WHERE projection = 'orders' AND generation = ? AND partition_no = ? FOR UPDATE`,
            [generation, held],
          );
          await sale(150);
          // Every partition the other replicas own moves on, while the held one cannot commit.
          const deadline = Date.now() + 60_000;
          let now = await checkpoints();
          while (Date.now() < deadline && !others.every((p) => now.get(p)! > before.get(p)!)) {
            await sleep(200);
            now = await checkpoints();
          }
          expect(others.filter((p) => now.get(p)! <= before.get(p)!)).toEqual([]);
          expect(now.get(held)).toBe(before.get(held));
        } finally {
          await locker.rollback();
          await locker.end();
          await shard.end();
        }
        await awaitZeroLag();
        await expectExactReadModels();
      },
      PHASE_MS,
    );

    it(
      'a replica SIGKILLed mid-batch loses its partitions to the others after its lease; nothing is lost or doubled',
      async () => {
        const selling = sale(800);
        // Kill while the sale is on and the replicas have work in hand.
        for (let i = 0; i < 200 && ((await lag()) as { maxLag: number }).maxLag < 20; i++) await sleep(25);
        await stopReplica('second', 'SIGKILL');
        const killedAt = Date.now();
        await awaitShares(['solo', 'third'], LEASE_MS * 4);
        console.log(`rebalance after SIGKILL (${_bus}): ${Date.now() - killedAt} ms`);
        await selling;
        await startReplica('fourth');
        await awaitShares(['solo', 'third', 'fourth'], LEASE_MS * 4);
        await sale(300);
        await awaitZeroLag(180_000);
        await expectExactReadModels();
      },
      PHASE_MS,
    );

    it(
      'a replica that stops cleanly hands its partitions over at once, without waiting for its lease',
      async () => {
        const stoppedAt = Date.now();
        await stopReplica('third', 'SIGTERM');
        const ms = await awaitShares(['solo', 'fourth'], LEASE_MS);
        console.log(`rebalance after SIGTERM (${_bus}): ${Date.now() - stoppedAt} ms (${ms} ms after exit)`);
        await sale(200);
        await awaitZeroLag();
        await expectExactReadModels();
      },
      PHASE_MS,
    );
  },
);
