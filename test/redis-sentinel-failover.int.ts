import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { SwitchableStockGate } from '../commands/switchable-stock-gate';
import { steadySeckillLoad, unexpectedOutcomes } from './support/seckill-load';
import { RNACOS_ADDR, startLiveWriteApis, type LiveCluster } from './support/live-write-apis';

const SENTINELS = process.env.COUPONKILL_TEST_SENTINELS;
const MASTER = process.env.COUPONKILL_TEST_SENTINEL_MASTER ?? 'couponkill';
const skipReason = !RNACOS_ADDR
  ? 'COUPONKILL_RNACOS_ADDR is not set (scripts/nacos.sh up)'
  : !SENTINELS
    ? 'COUPONKILL_TEST_SENTINELS is not set (scripts/redis-topologies.sh up sentinel)'
    : null;

const sentinel = () => {
  const [host = '127.0.0.1', port = '26380'] = (SENTINELS ?? '').split(',')[0]!.split(':');
  return { host, port };
};
const redisCli = (host: string, port: string, ...args: string[]) =>
  execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8' }).trim();
const primaryAddress = () => {
  const { host, port } = sentinel();
  const [primaryHost = '', primaryPort = ''] = redisCli(
    host,
    port,
    'SENTINEL',
    'get-master-addr-by-name',
    MASTER,
  ).split('\n');
  return { host: primaryHost, port: primaryPort };
};

/**
 * The Sentinel-managed primary of the stock gate dies (SIGKILL) under a steady seckill load on two write-apis. A
 * replica promoted by Sentinel may lack the last units the old primary acknowledged (replication is asynchronous), so
 * the write-apis stop selling from the moment the connection drops, notice the new primary by its replication id,
 * rebuild the gate from the event store, and sell again: nothing but retriable 503s, no oversell, every accepted
 * order stored, and the gate equal to what the event store implies afterwards.
 */
(skipReason ? describe.skip : describe)('the Sentinel primary fails over under load', () => {
  let cluster: LiveCluster;

  beforeAll(async () => {
    cluster = await startLiveWriteApis(
      RNACOS_ADDR!,
      2,
      { COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: '1000' },
      `COUPONKILL_REDIS_MODE=sentinel\nCOUPONKILL_REDIS_SENTINELS=${SENTINELS ?? ''}\nCOUPONKILL_REDIS_SENTINEL_MASTER=${MASTER}\n`,
    );
  });
  afterAll(async () => {
    await cluster.close();
    // The killed server comes back as a replica of the new primary (Sentinel reconfigures it).
    spawnSync('bash', [resolve(__dirname, '../scripts/redis-topologies.sh'), 'up', 'sentinel'], {
      stdio: 'ignore',
    });
  });

  it('keeps every guarantee through the failover', async () => {
    const big = await cluster.createCoupon({ totalStock: 100_000, perUserLimit: 100 });
    const scarce = await cluster.createCoupon({ totalStock: 200, perUserLimit: 100 });
    const load = steadySeckillLoad(
      cluster.apis.map(({ api }) => api.url),
      [big, scarce],
      { workers: 16, buyersPerWorker: 40 },
    );
    const outcomes = load.outcomes;

    await new Promise((r) => setTimeout(r, 1500));
    const old = primaryAddress();
    const pid = redisCli(old.host, old.port, 'INFO', 'server').match(/process_id:(\d+)/)?.[1];
    const killedAt = Date.now();
    process.kill(Number(pid), 'SIGKILL');
    // Sentinel promotes the replica (down after 1 s, then the election); then the gate is rebuilt.
    let promoted = old;
    while (promoted.port === old.port && Date.now() - killedAt < 30_000) {
      await new Promise((r) => setTimeout(r, 200));
      promoted = primaryAddress();
    }
    expect(promoted.port).not.toBe(old.port);
    let sellingAgain = 0;
    while (Date.now() - killedAt < 45_000) {
      const recent = outcomes.filter((o) => o.at > Date.now() - 500);
      if (recent.some((o) => o.status === 201) && recent.every((o) => o.status !== 503)) {
        sellingAgain = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sellingAgain).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));
    await load.stop();

    const failures = unexpectedOutcomes(outcomes);
    expect(failures).toEqual([]);
    const retriable = outcomes.filter((o) => o.status === 503);
    for (const o of retriable) {
      expect(['GATE_RECOVERING', 'DEPENDENCY_UNAVAILABLE']).toContain(o.code);
      expect(o.at).toBeGreaterThanOrEqual(killedAt);
      expect(o.at).toBeLessThanOrEqual(sellingAgain + 1000);
    }

    const events = await cluster.allEvents();
    const placed = (couponId: string) =>
      events
        .filter((e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId)
        .map((e) => (e.data as { orderId: string }).orderId);
    expect(placed(scarce).length).toBeLessThanOrEqual(200);
    const stored = new Set([...placed(big), ...placed(scarce)]);
    const accepted = outcomes.filter((o) => o.status === 201);
    for (const o of accepted) expect(stored.has(o.orderId!)).toBe(true);
    expect(stored.size).toBe(accepted.length);
    for (const { api } of cluster.apis) {
      const gate = api.container.get(SwitchableStockGate).current;
      for (const couponId of [big, scarce])
        expect({ couponId, sold: (await gate.state(couponId))?.sold }).toEqual({
          couponId,
          sold: placed(couponId).length,
        });
    }
    console.log(
      `failover: primary ${old.port} killed, ${promoted.port} promoted, selling again after ${String(sellingAgain - killedAt)} ms; ` +
        `${String(outcomes.length)} seckills: ${String(accepted.length)} placed, ${String(retriable.length)} retriable 503`,
    );
  }, 120_000);
});
