import type { RecordedEvent } from '../../commands/event-store-port';
import { startWriteApi, type RunningWriteApi } from '../../bin/process';
import type { Config } from '../../infra/config/config';
import { TOKENS } from '../../bin/tokens';
import { tokenFor } from './http-client';
import { allEventsOf, createCouponVia } from './write-api-requests';
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
    createCoupon: (coupon = {}) => createCouponVia(api.url, adminToken, coupon),
    allEvents: () => allEventsOf(store),
    close: async () => {
      await api.stop();
      await env.cleanup();
    },
  };
};
