import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import type { PartitionLeases } from '../projections/partition-leases-port';
import { InMemoryPartitionLeases } from './support/in-memory/in-memory-partition-leases';
import { createTestEnv, type TestEnv } from './support/test-env';

const TTL_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LeasesUnderTest {
  readonly leases: PartitionLeases;
  close(): Promise<void>;
}

/** The same contract for the MySQL adapter (the read catalog database) and the in-memory twin the unit specs use. */
const adapters: [string, () => Promise<LeasesUnderTest>][] = [
  [
    'MariaDB (read catalog)',
    async () => {
      const env: TestEnv = createTestEnv();
      const app: RunningProcess = await startRoles(env.config, { readApi: 0 }, 'all-in-one');
      return {
        leases: app.container.get(TOKENS.PartitionLeases),
        close: async () => {
          await app.stop();
          await env.cleanup();
        },
      };
    },
  ],
  [
    'in memory',
    () => Promise.resolve({ leases: new InMemoryPartitionLeases(), close: () => Promise.resolve() }),
  ],
];

describe.each(adapters)('partition leases contract: %s', (_name, open) => {
  let subject: LeasesUnderTest;
  let leases: PartitionLeases;
  beforeAll(async () => {
    subject = await open();
    leases = subject.leases;
  });
  afterAll(async () => {
    await subject.close();
  });

  it('gives a free partition to the first claimant and refuses the others while its lease is live', async () => {
    const view = await leases.heartbeat('orders', 4, 'b', TTL_MS);
    expect(view.leases.map((l) => l.owner)).toEqual([null, null, null, null]);
    expect(await leases.claim('orders', 2, 'b', TTL_MS)).toBe(1);
    expect(await leases.claim('orders', 2, 'a', TTL_MS)).toBeNull();
    expect(await leases.claim('orders', 2, 'b', TTL_MS)).toBeNull();
    await leases.heartbeat('orders', 4, 'a', TTL_MS);
    const seen = await leases.heartbeat('orders', 4, 'b', TTL_MS);
    expect(seen.members).toEqual(['a', 'b']);
    expect(seen.leases[2]).toEqual({ partition: 2, owner: 'b', epoch: 1, live: true });
    // Another projection's partitions and members are its own.
    expect((await leases.heartbeat('coupons', 4, 'c', TTL_MS)).members).toEqual(['c']);
    expect(await leases.claim('coupons', 2, 'c', TTL_MS)).toBe(1);
  });

  it('keeps a lease alive while its owner heartbeats, and lets it lapse when the owner stops', async () => {
    await leases.heartbeat('stats', 2, 'keeper', TTL_MS);
    expect(await leases.claim('stats', 0, 'keeper', TTL_MS)).toBe(1);
    for (let i = 0; i < 6; i++) {
      await sleep(TTL_MS / 4);
      await leases.heartbeat('stats', 2, 'keeper', TTL_MS);
      expect(await leases.claim('stats', 0, 'taker', TTL_MS)).toBeNull();
    }
    await sleep(TTL_MS + 100);
    const view = await leases.heartbeat('stats', 2, 'taker', TTL_MS);
    expect(view.members).toEqual(['taker']);
    expect(view.leases[0]).toMatchObject({ owner: 'keeper', live: false });
    // The new owner's epoch is above every epoch the stale owner ever wrote with: its late writes are refused.
    expect(await leases.claim('stats', 0, 'taker', TTL_MS)).toBe(2);
  });

  it('frees a released partition at once, keeping its epoch; a member releases only its own', async () => {
    expect(await leases.claim('orders', 3, 'a', TTL_MS)).toBe(1);
    await leases.release('orders', 'b', [3]);
    expect(await leases.claim('orders', 3, 'b', TTL_MS)).toBeNull();
    await leases.release('orders', 'a', [3]);
    const view = await leases.heartbeat('orders', 4, 'b', TTL_MS);
    expect(view.leases[3]).toMatchObject({ owner: null, epoch: 1 });
    expect(await leases.claim('orders', 3, 'b', TTL_MS)).toBe(2);
  });

  it('on leave, frees everything a member held and drops it from the group', async () => {
    await leases.heartbeat('coupons', 4, 'leaver', TTL_MS);
    expect(await leases.claim('coupons', 0, 'leaver', TTL_MS)).toBe(1);
    expect(await leases.claim('coupons', 1, 'leaver', TTL_MS)).toBe(1);
    await leases.leave('coupons', 'leaver');
    const view = await leases.heartbeat('coupons', 4, 'c', TTL_MS);
    expect(view.members).toEqual(['c']);
    expect(view.leases.slice(0, 2).map((l) => l.owner)).toEqual([null, null]);
    expect(await leases.claim('coupons', 0, 'c', TTL_MS)).toBe(2);
  });

  it('gives a contended partition to exactly one of many simultaneous claimants', async () => {
    await leases.heartbeat('stats', 2, 'x', TTL_MS);
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => leases.claim('stats', 1, `racer-${i}`, 10_000)),
    );
    expect(claims.filter((epoch) => epoch !== null)).toEqual([1]);
  });
});
