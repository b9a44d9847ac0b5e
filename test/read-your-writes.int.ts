import { spawn, type ChildProcess } from 'node:child_process';
import { startRoles, type RunningProcess } from '../bin/process';
import { CLI, envOf, freePort, startCliServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { createTestEnv, type TestEnv } from './support/test-env';

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
};

/**
 * Reads waiting for a position (read-your-writes) share one watcher per shard checkpoint: 500 of them cost a query
 * per poll, not a query per read per poll; past a cap on waiters they are answered 503 READ_MODEL_BEHIND at once;
 * and other readers do not slow down meanwhile.
 */
describe('read-your-writes under a crowd of waiting reads', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let projector: ChildProcess;
  let readApi: ChildProcess;
  const urls = { read: '', readOps: '' };
  const admin = tokenFor('admin', 'admin');

  beforeAll(async () => {
    env = createTestEnv();
    // The write side here; the read API and the projectors in processes of their own, as in production: the
    // crowd of readers must not share an event loop with the server it measures.
    app = await startRoles(env.config, { writeApi: 0, relay: true }, 'all-in-one');
    const readSide = { COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl };
    const [readPort, readOpsPort, projectorOpsPort] = [await freePort(), await freePort(), await freePort()];
    urls.read = `http://127.0.0.1:${String(readPort)}`;
    urls.readOps = `http://127.0.0.1:${String(readOpsPort)}`;
    projector = spawn(process.execPath, [CLI, '--no-dotenv', 'projector'], {
      env: envOf(env.config, {
        ...readSide,
        COUPONKILL_CONSUMER_NAME: 'waiting-reads',
        COUPONKILL_OPS_PORT: String(projectorOpsPort),
      }),
      stdio: 'ignore',
    });
    readApi = await startCliServer(
      ['read-api'],
      envOf(env.config, {
        ...readSide,
        COUPONKILL_READ_API_PORT: String(readPort),
        COUPONKILL_OPS_PORT: String(readOpsPort),
        COUPONKILL_READ_WAIT_MS: '5000',
        COUPONKILL_READ_MAX_WAITERS: '300',
      }),
      `${urls.readOps}/readyz`,
    );
  });
  afterAll(async () => {
    projector.kill('SIGKILL');
    readApi.kill('SIGTERM');
    await app.stop();
    await env.cleanup();
  });

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${urls.readOps}/metrics`)).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  };

  it('bounds waiting, shares the polling, and keeps other reads fast', async () => {
    const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'Waited for',
        faceValueCents: 1,
        totalStock: 100,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const couponId = String(created.body.couponId);
    const first = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('w'),
    });
    expect(first.status).toBe(201);
    for (let i = 0; i < 300; i++) {
      const lag = await request(urls.readOps, 'GET', '/api/v1/projections/lag');
      if (lag.body.maxLag === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The read side stops moving: every read that asks for a newer position has to wait.
    projector.kill('SIGSTOP');
    const behind = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('late'),
    });
    const position = String(behind.body.position);

    const plainRead = async () => {
      const started = performance.now();
      const response = await request(urls.read, 'GET', `/api/v1/coupons/${couponId}`, {
        token: admin,
      });
      expect(response.status).toBe(200);
      return performance.now() - started;
    };
    const plainReads = async (n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i += 10)
        times.push(...(await Promise.all(Array.from({ length: 10 }, plainRead))));
      return times;
    };
    const alone = percentile(await plainReads(200), 50);

    const readsBefore = await metric('couponkill_read_your_writes_checkpoint_reads_total');
    const crowd = 700;
    const tokens = Array.from({ length: crowd }, (_, i) => tokenFor(`buyer-${i}`));
    const waiting = Promise.all(
      tokens.map(async (token, i) => {
        const started = performance.now();
        const response = await request(
          urls.read,
          'GET',
          `/api/v1/users/buyer-${i}/orders?minPosition=${position}`,
          { token },
        );
        return { response, ms: performance.now() - started };
      }),
    );
    let peak = 0;
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        peak = Math.max(peak, await metric('couponkill_read_your_writes_waiters'));
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const crowded = percentile(await plainReads(200), 50);
    const answers = await waiting;
    sampling.on = false;
    await sampler;
    const checkpointReads =
      (await metric('couponkill_read_your_writes_checkpoint_reads_total')) - readsBefore;

    for (const { response } of answers)
      expect([response.status, response.body.error?.code]).toEqual([503, 'READ_MODEL_BEHIND']);
    // The cap was reached and never passed; past it reads were turned away at once instead of queueing.
    expect(peak).toBe(300);
    const reasonOf = (a: (typeof answers)[number]) => a.response.body.error?.details?.reason;
    const waitedOut = answers.filter((a) => reasonOf(a) === 'deadline');
    const refusedAtOnce = answers.filter((a) => reasonOf(a) === 'too_many_waiters');
    expect(refusedAtOnce.length + waitedOut.length).toBe(crowd);
    expect(refusedAtOnce.length).toBeGreaterThan(0);
    for (const answer of waitedOut) expect(answer.ms).toBeGreaterThanOrEqual(4950);
    // One poll per shard per tick, shared: a few hundred queries, where a poll per read per tick made ~40,000.
    expect(checkpointReads).toBeLessThan(2 * crowd);
    expect(crowded).toBeLessThan(Math.max(alone * 3, alone + 25));

    projector.kill('SIGCONT');

    const caughtUp = await request(
      urls.read,
      'GET',
      `/api/v1/orders/${String(behind.body.orderId)}?minPosition=${position}`,
      { token: tokenFor('late') },
    );
    expect(caughtUp.status).toBe(200);
  });
});
