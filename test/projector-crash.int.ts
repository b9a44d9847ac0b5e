import { startRoles, type RunningProcess } from '../bin/process';
import { envOf, freePort, startCliServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { createTestEnv, type TestEnv } from './support/test-env';

describe('a projector killed in the middle of its work', () => {
  let env: TestEnv;
  let app: RunningProcess;
  const admin = tokenFor('admin', 'admin');

  beforeAll(async () => {
    env = createTestEnv();
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: ['orders'] },
      'all-in-one',
    );
  });
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  const couponsLag = async (): Promise<number> => {
    const lag = await request(app.urls.readApi!, 'GET', '/api/v1/projections/lag');
    return (lag.body.projections as Record<string, { lag: number; generation: number | null }>).coupons
      ?.generation === null
      ? Number.POSITIVE_INFINITY
      : (lag.body.projections as Record<string, { lag: number }>).coupons!.lag;
  };

  const startProjector = async () => {
    const port = await freePort();
    const child = await startCliServer(
      ['projector', '--projection', 'coupons'],
      envOf(env.config, {
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_CONSUMER_NAME: 'crash-test-projector',
        COUPONKILL_OPS_PORT: String(port),
        COUPONKILL_PROJECTOR_BATCH: '40',
        COUPONKILL_BUS_CLAIM_IDLE_MS: '1000',
      }),
      `http://127.0.0.1:${port}/healthz`,
    );
    return child;
  };

  it('counts no event twice and loses none after a restart', async () => {
    const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'crash',
        faceValueCents: 1,
        totalStock: 5000,
        perUserLimit: 5,
        saleStartsAt: '2026-01-01T00:00:00Z',
        saleEndsAt: '2099-01-01T00:00:00Z',
      },
    });
    const couponId = String(created.body.couponId);
    const first = await startProjector();
    const orders = await Promise.all(
      Array.from({ length: 1500 }, async (_, i) => {
        const userId = `crash-${i % 400}`;
        const r = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
          token: tokenFor(userId),
        });
        return { orderId: String(r.body.orderId), userId, status: r.status };
      }),
    );
    const won = orders.filter((o) => o.status === 201);
    await Promise.all(
      won.slice(0, 100).map((o) =>
        request(app.urls.writeApi!, 'POST', `/api/v1/orders/${o.orderId}/cancel`, {
          token: tokenFor(o.userId),
        }),
      ),
    );

    // Kill it while it is still working through the backlog.
    for (let i = 0; i < 200 && (await couponsLag()) === Number.POSITIVE_INFINITY; i++)
      await new Promise((r) => setTimeout(r, 10));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const lagAtKill = await couponsLag();

    const second = await startProjector();
    try {
      for (let i = 0; i < 600 && (await couponsLag()) !== 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await couponsLag()).toBe(0);
      const coupon = await request(app.urls.readApi!, 'GET', `/api/v1/coupons/${couponId}`, { token: admin });
      expect(coupon.body).toMatchObject({
        sold: won.length - 100,
        cancelled: 100,
        remaining: 5000 - (won.length - 100),
      });
      console.log(
        `projector killed with ${lagAtKill} events of lag; after restart: sold ${String(coupon.body.sold)}, cancelled ${String(coupon.body.cancelled)}`,
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  });
});
