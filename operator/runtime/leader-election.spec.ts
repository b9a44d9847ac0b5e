import pino from 'pino';
import type { LeaseRecord } from './kube-api';
import { LeaderElector, type LeaseApi } from './leader-election';

class Conflict extends Error {
  readonly status = 409;
}
class NotFound extends Error {
  readonly status = 404;
}

/** An in-memory Lease with the server's optimistic concurrency: a write at a stale resourceVersion gets 409. */
class FakeLeases implements LeaseApi {
  lease: LeaseRecord | undefined;
  private version = 0;
  readLease(): Promise<LeaseRecord> {
    return this.lease ? Promise.resolve({ ...this.lease }) : Promise.reject(new NotFound());
  }
  createLease(record: LeaseRecord): Promise<void> {
    if (this.lease) return Promise.reject(new Conflict());
    this.lease = { ...record, resourceVersion: String(++this.version) };
    return Promise.resolve();
  }
  replaceLease(record: LeaseRecord): Promise<LeaseRecord> {
    if (record.resourceVersion !== this.lease?.resourceVersion) return Promise.reject(new Conflict());
    this.lease = { ...record, resourceVersion: String(++this.version) };
    return Promise.resolve({ ...this.lease });
  }
}

const silent = pino({ level: 'silent' });

function candidate(api: LeaseApi, identity: string, clock: { t: number }) {
  const events: string[] = [];
  const elector = new LeaderElector(
    api,
    (error) => error instanceof NotFound,
    { namespace: 'ops', name: 'lock', identity },
    { onStartedLeading: () => events.push('started'), onStoppedLeading: () => events.push('stopped') },
    silent,
    { now: () => clock.t, date: () => new Date(1_700_000_000_000 + clock.t) },
  );
  return { elector, events };
}

describe('LeaderElector', () => {
  it('lets one of two candidates lead and the other wait while the lease is renewed', async () => {
    const api = new FakeLeases();
    const clock = { t: 0 };
    const a = candidate(api, 'a', clock);
    const b = candidate(api, 'b', clock);
    await a.elector.tick();
    await b.elector.tick();
    expect(a.events).toEqual(['started']);
    expect(b.events).toEqual([]);
    for (let i = 0; i < 10; i++) {
      clock.t += 2000;
      await a.elector.tick();
      await b.elector.tick();
    }
    expect(b.elector.isLeader).toBe(false);
    expect(api.lease).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('hands the Lease back when stop() comes while a round is renewing it', async () => {
    const api = new FakeLeases();
    const clock = { t: 0 };
    const a = candidate(api, 'a', clock);
    await a.elector.tick();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const read = api.readLease.bind(api);
    api.readLease = async () => {
      await gate;
      return read();
    };
    a.elector.run();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the round is waiting for its read
    const stopping = a.elector.stop();
    open();
    await stopping;
    expect(api.lease).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('takes over a lease its holder stopped renewing, after leaseDuration on its own clock', async () => {
    const api = new FakeLeases();
    const clock = { t: 0 };
    const a = candidate(api, 'a', clock);
    const b = candidate(api, 'b', clock);
    await a.elector.tick();
    await b.elector.tick();
    clock.t += 14_000;
    await b.elector.tick();
    expect(b.elector.isLeader).toBe(false);
    clock.t += 2_000;
    await b.elector.tick();
    expect(b.events).toEqual(['started']);
    expect(api.lease).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });

    // The old leader (partitioned since t=0) fails to renew: the lease moved on, and renewDeadline has passed.
    await a.elector.tick();
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.elector.isLeader).toBe(false);
    expect(api.lease?.holderIdentity).toBe('b');
    await b.elector.stop();
  });

  it('hands the lease back on stop so a standby need not wait for it to expire', async () => {
    const api = new FakeLeases();
    const clock = { t: 0 };
    const a = candidate(api, 'a', clock);
    const b = candidate(api, 'b', clock);
    await a.elector.tick();
    await a.elector.stop();
    expect(api.lease).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await b.elector.tick();
    expect(b.events).toEqual(['started']);
    await b.elector.stop();
  });
});
