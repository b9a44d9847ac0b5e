import type { RecordedEvent } from '../../commands/event-store-port';
import { startWriteApi, type RunningWriteApi } from '../../bin/process';
import type { Config } from '../../infra/config/config';
import { TOKENS } from '../../bin/tokens';
import { request, tokenFor } from './http-client';
import { createTestEnv, type TestEnv } from './test-env';

export interface Harness {
  readonly env: TestEnv;
  readonly api: RunningWriteApi;
  readonly adminToken: string;
  createCoupon(overrides?: Record<string, unknown>): Promise<string>;
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/**
 * A real write-api on real Redis and MariaDB, in this process, on a free port; `adjust` changes the configuration of
 * the test environment before the write-api starts (to point it at a proxy, say).
 */
export const startHarness = async (
  overrides: Record<string, string> = {},
  adjust: (config: Config) => Config = (config) => config,
): Promise<Harness> => {
  const env = createTestEnv(overrides);
  const api = await startWriteApi(adjust(env.config), 0);
  const adminToken = tokenFor('admin-user', 'admin');
  const store = api.container.get(TOKENS.EventStore);
  return {
    env,
    api,
    adminToken,
    createCoupon: async (coupon = {}) => {
      const response = await request(api.url, 'POST', '/api/v1/coupons', {
        token: adminToken,
        body: {
          name: 'Flash coupon',
          faceValueCents: 500,
          totalStock: 10,
          perUserLimit: 1,
          saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
          saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
          ...coupon,
        },
      });
      if (response.status !== 201) throw new Error(`coupon not created: ${JSON.stringify(response.body)}`);
      return String(response.body.couponId);
    },
    allEvents: async () => {
      const events: RecordedEvent[] = [];
      for (let after = 0n; ;) {
        const page = await store.readAll(after, 5000);
        events.push(...page);
        if (page.length < 5000) return events;
        after = page.at(-1)!.position;
      }
    },
    close: async () => {
      await api.stop();
      await env.cleanup();
    },
  };
};
