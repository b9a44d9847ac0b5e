import { randomBytes } from 'node:crypto';
import type { RecordedEvent } from '../../commands/event-store-port';
import { openLiveConfiguration } from '../../bin/live-configuration';
import { startWriteApi, type RunningWriteApi } from '../../bin/process';
import { TOKENS } from '../../bin/tokens';
import type { ConfigStatus, LiveConfig } from '../../infra/config/live-config';
import { NacosConfigClient, type NacosConfigKey } from '../../infra/nacos/nacos-config-client';
import { envOf } from './child-process';
import { tokenFor } from './http-client';
import { allEventsOf, createCouponVia } from './write-api-requests';
import { createTestEnv, type TestEnv } from './test-env';

/** Where the live-configuration tests find rnacos (scripts/nacos.sh env), or null with the reason to skip. */
export const RNACOS_ADDR = process.env.COUPONKILL_RNACOS_ADDR ?? null;

export interface LiveWriteApi {
  readonly api: RunningWriteApi;
  readonly live: LiveConfig;
}

export interface LiveCluster {
  readonly env: TestEnv;
  readonly apis: readonly LiveWriteApi[];
  readonly nacos: NacosConfigClient;
  readonly key: NacosConfigKey;
  readonly adminToken: string;
  /** Publishes the Nacos layer (KEY=value lines). */
  publish(content: string): Promise<void>;
  /**
   * Publishes the Nacos layer and resolves with every replica's status once each applied or rejected it, within `ms`.
   */
  change(content: string, ms?: number): Promise<ConfigStatus[]>;
  createCoupon(overrides?: Record<string, unknown>): Promise<string>;
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/**
 * `replicas` write-apis in this process, each with its own live configuration on one rnacos data id (the way each
 * pod of a Deployment reads the same Nacos configuration), on real Redis and MariaDB.
 */
export const startLiveWriteApis = async (
  nacosAddr: string,
  replicas: number,
  overrides: Record<string, string> = {},
  initialNacosContent = '',
): Promise<LiveCluster> => {
  const env = createTestEnv(overrides);
  const key = { dataId: `couponkill-${randomBytes(4).toString('hex')}.properties`, group: 'COUPONKILL_TEST' };
  const nacos = new NacosConfigClient({
    serverAddrs: [nacosAddr],
    namespace: '',
    contextPath: 'nacos',
    credentials: null,
  });
  if (initialNacosContent) await nacos.publish(key, initialNacosContent);
  const processEnv = envOf(env.config, {
    COUPONKILL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    COUPONKILL_OPS_PORT: '0',
    COUPONKILL_ADMIN_USERNAME: 'admin',
    COUPONKILL_ADMIN_PASSWORD: 'admin-password-123',
    COUPONKILL_NACOS_SERVER_ADDR: nacosAddr,
    COUPONKILL_NACOS_GROUP: key.group,
    COUPONKILL_NACOS_DATA_ID: key.dataId,
    ...overrides,
  });
  const apis: LiveWriteApi[] = [];
  for (let i = 0; i < replicas; i++) {
    const live = await openLiveConfiguration(processEnv, 'write-api', 1);
    const api = await startWriteApi(live.current, 0, 0, live);
    live.watch();
    apis.push({ api, live });
  }
  const adminToken = tokenFor('admin-user', 'admin');
  const first = apis[0]!.api;
  const store = first.container.get(TOKENS.EventStore);
  return {
    env,
    apis,
    nacos,
    key,
    adminToken,
    publish: (content) => nacos.publish(key, content),
    change: async (content, ms = 30_000) => {
      const taken = (status: ConfigStatus) => status.applied + status.rejected;
      const before = apis.map(({ live }) => taken(live.status()));
      await nacos.publish(key, content);
      const deadline = Date.now() + ms;
      for (;;) {
        const statuses = apis.map(({ live }) => live.status());
        if (statuses.every((status, i) => taken(status) > before[i]!)) return statuses;
        if (Date.now() > deadline)
          throw new Error(
            `replicas did not take the change within ${String(ms)} ms: ${JSON.stringify(statuses)}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    createCoupon: (coupon = {}) => createCouponVia(first.url, adminToken, coupon),
    allEvents: () => allEventsOf(store),
    close: async () => {
      for (const { api } of apis) await api.stop();
      await nacos.remove(key).catch(() => undefined);
      await env.cleanup();
    },
  };
};
