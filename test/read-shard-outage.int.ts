import { startRoles, type RunningProcess } from '../bin/process';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { metricOf, waitFor } from './support/metrics';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { MYSQL_URL, createTestEnv, type TestEnv } from './support/test-env';

/**
 * Each read shard has a circuit breaker of its own: shard 0 (behind a proxy the test cuts) goes away, and the reads
 * of buyers kept there are answered 503 at once while the buyers of shard 1 are served as before; readiness names
 * the shard; once the proxy lets it back, the breaker's probe closes it and every read is served again.
 */
describe('a read shard taken away from the read API (real MariaDB)', () => {
  let env: TestEnv;
  let proxy: TcpProxy;
  let app: RunningProcess;
  const buyers = Array.from({ length: 12 }, (_, i) => `shard-buyer-${i}`);

  beforeAll(async () => {
    const mysql = new URL(MYSQL_URL);
    proxy = await startTcpProxy(mysql.hostname, Number(mysql.port || 3306));
    env = createTestEnv({ COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS: '1000' });
    const shard = (i: number, port?: number) => {
      const url = new URL(`${env.config.read.databaseUrl}_${i}`);
      if (port !== undefined) url.host = `127.0.0.1:${port}`;
      return url.toString();
    };
    app = await startRoles(
      { ...env.config, read: { ...env.config.read, shardUrls: [shard(0, proxy.port), shard(1)] } },
      { writeApi: 0, readApi: 0, relay: true, projectors: ['orders'], opsPort: 0 },
      'all-in-one',
    );
  });
  afterAll(async () => {
    proxy.restore();
    await app.stop();
    await env.cleanup();
    await proxy.close();
  });

  const ordersOf = (userId: string, minPosition?: string): Promise<JsonResponse> =>
    request(
      app.urls.readApi!,
      'GET',
      `/api/v1/users/${userId}/orders${minPosition ? `?minPosition=${minPosition}` : ''}`,
      { token: tokenFor(userId) },
    );
  const shardState = (shard: number) =>
    metricOf(app.urls.ops, 'couponkill_circuit_breaker_state', `dependency="read shard ${shard}"`);

  it('refuses at once the reads of the shard that is down, serves the others, and recovers', async () => {
    const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
      token: tokenFor('admin', 'admin'),
      body: {
        name: 'Sharded',
        faceValueCents: 1,
        totalStock: 100,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const couponId = String(created.body.couponId);
    let position = '0';
    for (const userId of buyers) {
      const placed = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
        token: tokenFor(userId),
      });
      expect(placed.status).toBe(201);
      position = String(placed.body.position);
    }
    for (const userId of buyers) expect((await ordersOf(userId, position)).status).toBe(200);

    proxy.cut();
    // Reads of shard 0 fail until its breaker opens; those of shard 1 never do.
    await waitFor('the breaker of shard 0 opens', async () => {
      await Promise.all(buyers.map((userId) => ordersOf(userId)));
      return (await shardState(0)) === 2;
    });
    const answers = await Promise.all(
      buyers.map(async (userId) => {
        const started = performance.now();
        const response = await ordersOf(userId);
        return { userId, response, ms: performance.now() - started };
      }),
    );
    const down = answers.filter((a) => a.response.status === 503);
    const served = answers.filter((a) => a.response.status === 200);
    expect(down.length + served.length).toBe(buyers.length);
    expect(down.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    for (const { response, ms } of down) {
      expect(response.body.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(ms).toBeLessThan(1000);
    }
    expect(await shardState(1)).toBe(0);
    const ready = await request(app.urls.ops, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      checks: { readShards: { status: 'down', message: expect.stringContaining('read shard 0') } },
      breakers: { 'read shard 0': { state: 'open' }, 'read shard 1': { state: 'closed' } },
    });

    proxy.restore();
    await waitFor('the breaker of shard 0 closes', async () => (await shardState(0)) === 0);
    for (const userId of buyers) expect((await ordersOf(userId, position)).status).toBe(200);
    expect((await request(app.urls.ops, 'GET', '/readyz')).status).toBe(200);
  });
});
