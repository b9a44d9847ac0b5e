import { request, tokenFor } from './support/http-client';
import { metricOf } from './support/metrics';
import { RNACOS_ADDR, startLiveWriteApis, type LiveCluster } from './support/live-write-apis';

/**
 * Live configuration from Nacos (rnacos here): a published rate limit is enforced by running write-apis within 2 s; an
 * invalid publish is rejected whole, the configuration in force stays, and the rejection shows on /configz and
 * /metrics.
 */
(RNACOS_ADDR ? describe : describe.skip)(
  'live configuration from Nacos (rnacos, real Redis and MariaDB)',
  () => {
    let cluster: LiveCluster;

    beforeAll(async () => {
      cluster = await startLiveWriteApis(
        RNACOS_ADDR!,
        2,
        {},
        'COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND=100\n',
      );
    });
    afterAll(() => cluster.close());

    const seckill = (url: string, couponId: string, userId: string) =>
      request(url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
    const configz = async (opsUrl: string) =>
      (await fetch(`${opsUrl}/configz`)).json() as Promise<Record<string, unknown>>;

    it('starts on the Nacos layer, and enforces a newly published rate limit within 2 s on every replica', async () => {
      const couponId = await cluster.createCoupon({ totalStock: 1000, perUserLimit: 100 });
      for (const { live } of cluster.apis)
        expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(100);
      const burst = async (url: string, user: string) =>
        Promise.all(Array.from({ length: 4 }, () => seckill(url, couponId, user)));
      // 100 a second: a burst of four all pass.
      for (const [i, { api }] of cluster.apis.entries())
        expect((await burst(api.url, `before-${String(i)}`)).map((r) => r.status)).toEqual([
          201, 201, 201, 201,
        ]);

      const published = Date.now();
      await cluster.change('COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND=1\n', 2000);
      const applied = Date.now() - published;
      expect(applied).toBeLessThan(2000);
      for (const [i, { api }] of cluster.apis.entries()) {
        const statuses = (await burst(api.url, `after-${String(i)}`)).map((r) => r.status).sort();
        expect(statuses).toEqual([201, 429, 429, 429]);
      }
      for (const { api } of cluster.apis)
        expect(await configz(api.opsUrl)).toMatchObject({ applied: 1, rejected: 0, pendingRestart: [] });
      console.log(`rate limit published → enforced by both replicas in ${String(applied)} ms`);
    });

    it('rejects an invalid configuration whole: the one in force stays, the rejection is counted and shown', async () => {
      const couponId = await cluster.createCoupon({ totalStock: 1000, perUserLimit: 100 });
      // A valid limit beside an invalid one: nothing of it may apply.
      const statuses = await cluster.change(
        'COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND=50\nCOUPONKILL_READ_WAIT_MS=-5\n',
        5000,
      );
      for (const status of statuses) {
        expect(status.rejected).toBe(1);
        expect(status.lastRejection?.reason).toMatch(/COUPONKILL_READ_WAIT_MS/);
      }
      for (const [i, { api, live }] of cluster.apis.entries()) {
        expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(1);
        expect(await metricOf(api.opsUrl, 'couponkill_config_changes_total', 'result="rejected"')).toBe(1);
        expect(await metricOf(api.opsUrl, 'couponkill_config_changes_total', 'result="applied"')).toBe(1);
        const statuses429 = (
          await Promise.all(Array.from({ length: 3 }, () => seckill(api.url, couponId, `kept-${String(i)}`)))
        ).map((r) => r.status);
        expect(statuses429.sort()).toEqual([201, 429, 429]);
      }
      // A typo'd name is refused too, and so is a line that is no setting at all.
      await cluster.change('COUPONKILL_SECKILL_BUYER_CLICK_PER_SECOND=50\n', 5000);
      const last = await cluster.change('COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND 50\n', 5000);
      for (const status of last) {
        expect(status.rejected).toBe(3);
        expect(status.lastRejection?.reason).toMatch(/line 1 is not KEY=value/);
      }
    });

    it('reports a restart-only change as pending instead of half-applying it', async () => {
      const statuses = await cluster.change(
        'COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND=1\nCOUPONKILL_WRITE_API_PORT=18999\nCOUPONKILL_LOG_LEVEL=error\n',
        5000,
      );
      for (const status of statuses) expect(status.pendingRestart).toEqual(['COUPONKILL_WRITE_API_PORT']);
      for (const { api, live } of cluster.apis) {
        expect(live.current.writeApiPort).toBe(8080);
        expect(live.current.logLevel).toBe('error');
        expect(await metricOf(api.opsUrl, 'couponkill_config_pending_restart_settings')).toBe(1);
      }
    });
  },
);
