import { openLiveConfiguration } from '../bin/live-configuration';
import { startRoles, type RunningProcess } from '../bin/process';
import type { LiveConfig } from '../infra/config/live-config';
import { NacosConfigClient } from '../infra/nacos/nacos-config-client';
import { PROJECTION_NAMES } from '../projections/projection';
import { envOf } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { RNACOS_ADDR } from './support/live-write-apis';
import { provisionRocketMqProjections, ROCKETMQ_ENDPOINTS } from './support/rocketmq-env';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { createTestEnv, type TestEnv } from './support/test-env';

const PARTITIONS = 2;

/**
 * RocketMQ's proxy address changes (a new proxy; here a second TCP path to the same proxy, and the first one then cut
 * for good) by a Nacos publish: the relay and the projectors reconnect with nothing lost, so every order accepted
 * before, during and after the change reaches the read model.
 */
(RNACOS_ADDR ? describe : describe.skip)('moving the bus to a new RocketMQ proxy address, live', () => {
  let env: TestEnv;
  let live: LiveConfig;
  let app: RunningProcess;
  let first: TcpProxy;
  let second: TcpProxy;
  const nacos = new NacosConfigClient({
    serverAddrs: [RNACOS_ADDR ?? ''],
    namespace: '',
    contextPath: 'nacos',
    credentials: null,
  });
  const key = { dataId: `couponkill-rocketmq-${Date.now().toString(36)}`, group: 'COUPONKILL_TEST' };

  beforeAll(async () => {
    const [host = '127.0.0.1', port = '18081'] = ROCKETMQ_ENDPOINTS.split(';')[0]!.split(':');
    first = await startTcpProxy(host, Number(port));
    second = await startTcpProxy(host, Number(port));
    const { topic, groupPrefix } = await provisionRocketMqProjections(PARTITIONS, PROJECTION_NAMES);
    env = createTestEnv();
    live = await openLiveConfiguration(
      envOf(env.config, {
        COUPONKILL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        COUPONKILL_OPS_PORT: '0',
        COUPONKILL_ADMIN_USERNAME: 'admin',
        COUPONKILL_ADMIN_PASSWORD: 'admin-password-123',
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_CONSUMER_NAME: `rmq-endpoint-${Date.now().toString(36)}`,
        COUPONKILL_BUS: 'rocketmq',
        COUPONKILL_ROCKETMQ_ENDPOINTS: `127.0.0.1:${String(first.port)}`,
        COUPONKILL_ROCKETMQ_TOPIC: topic,
        COUPONKILL_ROCKETMQ_GROUP_PREFIX: groupPrefix,
        COUPONKILL_ROCKETMQ_AWAIT_MS: '1000',
        COUPONKILL_PROJECTION_PARTITIONS: String(PARTITIONS),
        COUPONKILL_NACOS_SERVER_ADDR: RNACOS_ADDR ?? '',
        COUPONKILL_NACOS_GROUP: key.group,
        COUPONKILL_NACOS_DATA_ID: key.dataId,
      }),
      'all-in-one',
      1,
    );
    app = await startRoles(
      live.current,
      { writeApi: 0, readApi: 0, relay: true, projectors: ['orders'], opsPort: 0 },
      'all-in-one',
      live,
    );
    live.watch();
  }, 180_000);
  afterAll(async () => {
    await app.stop();
    await nacos.remove(key).catch(() => undefined);
    await first.close();
    await second.close();
    await env.cleanup();
  });

  it('reconnects the relay and the projector, and every accepted order reaches the read model', async () => {
    const writeUrl = app.urls.writeApi!;
    const readUrl = app.urls.readApi!;
    const coupon = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: tokenFor('admin-user', 'admin'),
      body: {
        name: 'Flash coupon',
        faceValueCents: 500,
        totalStock: 1000,
        perUserLimit: 100,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const couponId = String(coupon.body.couponId);
    const accepted: { orderId: string; userId: string; position: string }[] = [];
    const buy = async (count: number, label: string) => {
      const responses = await Promise.all(
        Array.from({ length: count }, (_, i) => {
          const userId = `${label}-${String(i)}`;
          return request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) }).then(
            (r) => ({ r, userId }),
          );
        }),
      );
      for (const { r, userId } of responses) {
        expect(r.status).toBe(201);
        accepted.push({ orderId: String(r.body.orderId), userId, position: String(r.body.position) });
      }
    };
    await buy(30, 'before');

    const started = Date.now();
    await nacos.publish(key, `COUPONKILL_ROCKETMQ_ENDPOINTS=127.0.0.1:${String(second.port)}\n`);
    const during = buy(30, 'during');
    while (live.status().applied + live.status().rejected < 1) {
      if (Date.now() - started > 60_000) throw new Error('the endpoint change was not taken within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(live.status()).toMatchObject({ applied: 1, rejected: 0 });
    await during;
    // The old address is gone for good: everything from now on must go through the new one.
    first.cut();
    await buy(30, 'after');

    for (const { orderId, userId, position } of accepted) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const view = await request(readUrl, 'GET', `/api/v1/orders/${orderId}?minPosition=${position}`, {
          token: tokenFor(userId),
        });
        if (view.status === 200) break;
        if (Date.now() > deadline)
          throw new Error(`order ${orderId} never reached the read model: ${view.status}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    console.log(
      `RocketMQ endpoint change applied in ${String(Date.now() - started)} ms (with the wait for reads); ` +
        `${String(accepted.length)} orders, all in the read model`,
    );
  }, 240_000);
});
