import pino from 'pino';
import type { Seckill, SeckillStatus } from '../api/seckill-types';
import type { Capabilities } from '../desired/desired-state';
import { childKey, type ChildObject } from '../desired/kube-object';
import type { EventInput, ObjectRef } from '../runtime/kube-api';
import { seckillFixture } from '../test-support/seckill-fixture';
import { SeckillReconciler, type ObservedChild } from './seckill-reconciler';

const CAPABILITIES: Capabilities = { hpaApiVersion: 'autoscaling/v2', keda: true, serviceMonitor: true };

/** An in-memory cluster: applies keep objects with a resourceVersion that moves only when the content changes. */
class FakeCluster {
  readonly objects = new Map<string, ObservedChild & { body: string }>();
  readonly applied: string[] = [];
  readonly deleted: string[] = [];
  readonly statuses: SeckillStatus[] = [];
  readonly events: EventInput[] = [];
  failApply: string | undefined;
  private version = 0;

  api = {
    apply: (object: ChildObject): Promise<string | undefined> => {
      const key = childKey(object);
      this.applied.push(key);
      if (key === this.failApply)
        return Promise.reject(
          Object.assign(new Error('rejected'), { code: 422, body: { message: 'invalid' } }),
        );
      const body = JSON.stringify(object);
      const existing = this.objects.get(key);
      if (existing?.body === body) return Promise.resolve(existing.metadata?.resourceVersion);
      const resourceVersion = String(++this.version);
      this.objects.set(key, {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { ...object.metadata, resourceVersion, generation: 1 },
        body,
      });
      return Promise.resolve(resourceVersion);
    },
    delete: (ref: ObjectRef): Promise<boolean> => {
      const key = `${ref.kind}/${ref.name}`;
      this.deleted.push(key);
      return Promise.resolve(this.objects.delete(key));
    },
    applyStatus: (_seckill: Seckill, status: SeckillStatus): Promise<void> => {
      this.statuses.push(status);
      return Promise.resolve();
    },
  };
}

function setup(seckill: Seckill, lag?: number) {
  const cluster = new FakeCluster();
  const lagUrls: string[] = [];
  let current = seckill;
  const reconciler = new SeckillReconciler({
    api: cluster.api,
    recordEvent: (_s, event) => cluster.events.push(event),
    getSeckill: (namespace, name) =>
      namespace === current.metadata.namespace && name === current.metadata.name ? current : undefined,
    childrenOf: () => [...cluster.objects.values()],
    capabilities: () => CAPABILITIES,
    readLag: (url) => {
      lagUrls.push(url);
      return Promise.resolve(lag);
    },
    now: () => new Date('2026-11-25T10:00:00Z'),
    log: pino({ level: 'silent' }),
  });
  const run = async () => {
    const result = await reconciler.reconcile('shop', 'flash');
    const status = cluster.statuses.at(-1);
    if (status) current = { ...current, status };
    return result;
  };
  return { cluster, lagUrls, run, update: (s: Seckill) => (current = { ...s, status: current.status }) };
}

describe('SeckillReconciler', () => {
  it('applies every child, records what it created, and writes the status once', async () => {
    const { cluster, run } = setup(seckillFixture(), 7);
    const result = await run();
    expect(result.error).toBeUndefined();
    expect(result.requeueAfterMs).toBe(30_000); // lag is re-read while the read API is enabled
    expect(cluster.objects.size).toBe(8);
    expect(cluster.events.filter((e) => e.reason === 'Created')).toHaveLength(8);
    expect(cluster.statuses).toHaveLength(1);
    expect(cluster.statuses[0]).toMatchObject({
      phase: 'Progressing',
      projectionLag: 7,
      readyServices: '0/4',
    });
  });

  it('reads the lag from the read API Service’s ops port, where it is computed per call', async () => {
    const { lagUrls, run } = setup(seckillFixture({ services: { readApi: { opsPort: 9181 } } }), 7);
    await run();
    expect(lagUrls).toEqual(['http://flash-read-api.shop.svc.cluster.local:9181/api/v1/projections/lag']);
  });

  it('is idempotent: a second pass changes nothing, records nothing and writes no status', async () => {
    const { cluster, run } = setup(seckillFixture(), 7);
    await run();
    const events = cluster.events.length;
    await run();
    expect(cluster.events).toHaveLength(events);
    expect(cluster.statuses).toHaveLength(1);
    expect(cluster.deleted).toEqual([]);
  });

  it('records Updated for a changed child and deletes the children of a disabled service', async () => {
    const { cluster, run, update } = setup(seckillFixture());
    await run();
    update(seckillFixture({ image: 'couponkill:2', services: { relay: { enabled: false } } }));
    await run();
    expect(cluster.deleted.sort()).toEqual(['Deployment/flash-relay', 'Service/flash-relay']);
    expect(cluster.events.filter((e) => e.reason === 'Updated').map((e) => e.message)).toHaveLength(3);
    expect(cluster.events.filter((e) => e.reason === 'Deleted')).toHaveLength(2);
    expect(cluster.statuses.at(-1)?.services?.relay?.phase).toBe('Disabled');
  });

  it('never deletes what another owner holds', async () => {
    const { cluster, run } = setup(seckillFixture());
    cluster.objects.set('ConfigMap/foreign', {
      kind: 'ConfigMap',
      metadata: { name: 'foreign', ownerReferences: [{ uid: 'someone-else', controller: true }] },
      body: '{}',
    });
    await run();
    expect(cluster.deleted).toEqual([]);
  });

  it('goes Degraded and asks for a back-off retry when an apply fails, still applying the rest', async () => {
    const { cluster, run } = setup(seckillFixture());
    cluster.failApply = 'Service/flash-relay';
    const result = await run();
    expect(result.error?.message).toBe('apply Service/flash-relay: 422: invalid');
    expect(cluster.objects.size).toBe(7);
    expect(cluster.events).toContainEqual({
      type: 'Warning',
      reason: 'ApplyFailed',
      message: 'apply Service/flash-relay: 422: invalid',
    });
    expect(cluster.statuses.at(-1)).toMatchObject({ phase: 'Degraded' });
  });

  it('does nothing for a Seckill that is gone (its children carry owner references)', async () => {
    const { cluster, run, update } = setup(seckillFixture());
    update({
      ...seckillFixture(),
      metadata: { ...seckillFixture().metadata, deletionTimestamp: '2026-11-25T10:00:00Z' },
    });
    expect(await run()).toEqual({});
    expect(cluster.applied).toEqual([]);
  });
});
