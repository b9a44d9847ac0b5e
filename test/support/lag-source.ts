import { startRoles, type RunningProcess } from '../../bin/process';
import { request, tokenFor } from './http-client';
import { createTestEnv, type TestEnv } from './test-env';

/**
 * A real CouponKill whose projection lag a test moves: write-api, relay and read-api in one process, and the
 * projectors in another that the test stops and starts. With the projectors stopped, every seckill raises the lag by
 * one event; started again, they drain it to 0. KEDA's metrics-api trigger and the operator's status read `url`, the
 * read API's `GET /api/v1/projections/lag`, from this host.
 */
export interface LagSource {
  readonly url: string;
  /** Stops the projectors and sells until the lag is at least `atLeast`; answers the lag then (it holds still). */
  raise(atLeast: number): Promise<number>;
  /** Starts the projectors and waits until the lag is 0. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCouponKillLagSource(): Promise<LagSource> {
  const env: TestEnv = createTestEnv({ COUPONKILL_PROJECTION_PARTITIONS: '4' });
  const app = await startRoles(env.config, { writeApi: 0, readApi: 0, relay: true }, 'all-in-one');
  const url = `${app.urls.readApi!}/api/v1/projections/lag`;
  let projectors: RunningProcess | null = null;
  let buyers = 0;
  const maxLag = async (): Promise<number> => {
    const body = (await (await fetch(url)).json()) as { maxLag: number };
    return body.maxLag;
  };
  const created = await request(app.urls.writeApi!, 'POST', '/api/v1/coupons', {
    token: tokenFor('admin', 'admin'),
    body: {
      name: 'keda',
      faceValueCents: 1,
      totalStock: 100_000,
      perUserLimit: 1,
      saleStartsAt: '2026-01-01T00:00:00Z',
      saleEndsAt: '2099-01-01T00:00:00Z',
    },
  });
  const couponId = String(created.body.couponId);

  const drain = async (): Promise<void> => {
    projectors ??= await startRoles(
      env.config,
      { projectors: ['orders', 'coupons', 'stats', 'reservations'] },
      'projector',
    );
    for (let i = 0; i < 1200; i++) {
      if ((await maxLag()) === 0) return;
      await sleep(100);
    }
    throw new Error(`the projectors did not drain the lag: ${String(await maxLag())}`);
  };
  await drain();

  return {
    url,
    drain,
    raise: async (atLeast) => {
      if (projectors) {
        await projectors.stop();
        projectors = null;
      }
      // Concurrent callers (KEDA, the operator) share a report being computed, which may predate the last sale:
      // the lag is read until it holds still, then until it shows exactly what was sold (the projectors are stopped,
      // so nothing else moves it).
      const steady = async (): Promise<number> => {
        for (let last = await maxLag(); ;) {
          await sleep(300);
          const now = await maxLag();
          if (now === last) return now;
          last = now;
        }
      };
      const reaches = async (expected: number): Promise<number> => {
        for (let i = 0; i < 100; i++) {
          if ((await maxLag()) === expected) return expected;
          await sleep(100);
        }
        throw new Error(`the lag is ${String(await maxLag())}, not ${String(expected)}`);
      };
      let lag = await steady();
      while (lag < atLeast) {
        const batch = Array.from({ length: Math.min(32, atLeast - lag) }, () => `keda-buyer-${buyers++}`);
        await Promise.all(
          batch.map(async (userId) => {
            const r = await request(app.urls.writeApi!, 'POST', `/api/v1/seckill/${couponId}`, {
              token: tokenFor(userId),
            });
            if (r.status !== 201) throw new Error(`seckill answered ${r.status}: ${JSON.stringify(r.body)}`);
          }),
        );
        lag += batch.length;
      }
      return reaches(lag);
    },
    close: async () => {
      await projectors?.stop();
      await app.stop();
      await env.cleanup();
    },
  };
}
