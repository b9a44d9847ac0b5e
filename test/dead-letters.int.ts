import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../commands/event-store-port';
import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { CLI, envOf, freePort, runCli } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { createTestEnv, type TestEnv } from './support/test-env';

const metadata = (): EventToAppend['metadata'] => ({
  eventId: randomUUID(),
  correlationId: 'poison',
  causationId: 'poison',
  userId: 'system',
  occurredAt: new Date().toISOString(),
});

/**
 * Events no projection of this release can apply, as they reach a store in the field: written by a newer release
 * (a type or schema version this one does not know), or holding a value a read model's column cannot hold.
 */
const poison = (couponId: string) => {
  const orderId = randomUUID();
  return {
    // The orders and stats read models keep user ids in 64 ASCII characters.
    tooLongUser: {
      streamId: `order-${orderId}`,
      event: {
        type: 'OrderPlaced',
        schemaVersion: 1,
        data: {
          orderId,
          couponId,
          userId: 'u'.repeat(100),
          placedAt: new Date().toISOString(),
          idempotencyKey: null,
        },
        metadata: metadata(),
      },
    },
    unknownType: {
      streamId: `coupon-${couponId}`,
      event: { type: 'CouponRenamed', schemaVersion: 1, data: { couponId, name: 'x' }, metadata: metadata() },
    },
    newerVersion: {
      streamId: `coupon-${randomUUID()}`,
      event: {
        type: 'CouponCreated',
        schemaVersion: 9,
        data: { couponId: randomUUID() },
        metadata: metadata(),
      },
    },
  };
};

describe('events a projection cannot apply', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let projector: ChildProcess;
  let projectorLog = '';
  let opsUrl: string;
  const admin = tokenFor('admin', 'admin');

  beforeAll(async () => {
    env = createTestEnv();
    // The relay and read-api here; the projectors in their own process, whose log the test reads.
    app = await startRoles(env.config, { writeApi: 0, readApi: 0, relay: true }, 'all-in-one');
    const port = await freePort();
    opsUrl = `http://127.0.0.1:${port}`;
    projector = spawn(process.execPath, [CLI, '--no-dotenv', 'projector'], {
      env: envOf(env.config, {
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_CONSUMER_NAME: 'dead-letter-test',
        COUPONKILL_OPS_PORT: String(port),
        COUPONKILL_LOG_LEVEL: 'error',
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    projector.stdout?.on('data', (chunk: Buffer) => (projectorLog += chunk.toString()));
    for (let i = 0; i < 150 && !(await fetch(`${opsUrl}/healthz`).catch(() => null))?.ok; i++)
      await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    projector.kill('SIGTERM');
    await new Promise((r) => projector.once('exit', r));
    await app.stop();
    await env.cleanup();
  });

  const lag = async () =>
    (await request(app.urls.readApi!, 'GET', '/api/v1/projections/lag')).body as {
      maxLag: number;
      projections: Record<string, { lag: number; deadLetters: number }>;
    };

  it('sets them aside with a log line, a metric and the lag report, and keeps every other event applied', async () => {
    const store = app.container.get(TOKENS.EventStore);
    const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'Poisoned',
        faceValueCents: 100,
        totalStock: 50,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const couponId = String(created.body.couponId);
    const buy = (i: number) =>
      request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(`buyer-${i}`) });
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => buy(i)));
    const bad = poison(couponId);
    const stored = new Map<string, bigint>();
    for (const [name, { streamId, event }] of Object.entries(bad))
      stored.set(name, (await store.append(streamId, [event], 'any')).position);
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => buy(100 + i)));
    const orders = [...before, ...after].map((r) => String(r.body.orderId));
    expect(new Set([...before, ...after].map((r) => r.status))).toEqual(new Set([201]));

    // No stall: every projection passes the poison and reaches the head.
    let report = await lag();
    for (let i = 0; i < 300 && report.maxLag !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      report = await lag();
    }
    expect(report.maxLag).toBe(0);
    expect(report.projections).toMatchObject({
      orders: { deadLetters: 3 },
      stats: { deadLetters: 3 },
      coupons: { deadLetters: 2 },
    });

    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/couponkill_projection_dead_letters_total\{projection="orders".*\} 3/);
    expect(metrics).toMatch(/couponkill_projection_dead_letters_total\{projection="coupons".*\} 2/);
    for (const { event } of Object.values(bad)) expect(projectorLog).toContain(event.metadata.eventId);
    expect(projectorLog).toContain('event set aside as a dead letter');

    // Every good event is in the read models.
    for (const [i, orderId] of orders.entries()) {
      const view = await request(app.urls.readApi!, 'GET', `/api/v1/orders/${orderId}`, {
        token: tokenFor(i < 10 ? `buyer-${i}` : `buyer-${90 + i}`),
      });
      expect(view.body).toMatchObject({ orderId, status: 'PLACED' });
    }
    const coupon = await request(app.urls.readApi!, 'GET', `/api/v1/coupons/${couponId}`, { token: admin });
    // The order with the oversized user id is a valid order to the coupons read model: it counts.
    expect(coupon.body).toMatchObject({ sold: 21, remaining: 29, name: 'Poisoned' });
  });

  it('reports them from a replay, which still completes', async () => {
    const result = await runCli(
      ['replay', '--projection', 'orders'],
      envOf(env.config, { COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl }),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('3 events could not be applied and were set aside as dead letters');
    const [replayed] = JSON.parse(result.stdout) as { deadLetters: number; generation: number }[];
    expect(replayed).toMatchObject({ deadLetters: 3 });
  });
});
