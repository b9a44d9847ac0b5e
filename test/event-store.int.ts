import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import {
  WrongExpectedRevisionError,
  type EventToAppend,
  type RecordedEvent,
} from '../commands/event-store-port';
import { migrateEventStore } from '../infra/mysql/event-store-schema';
import { MySqlEventStore } from '../infra/mysql/mysql-event-store';
import { createMySqlPool, ensureDatabase } from '../infra/mysql/mysql-pool';
import { createTestEnv, type TestEnv } from './support/test-env';

const event = (type = 'Tested', data: unknown = { n: 1 }): EventToAppend => ({
  type,
  schemaVersion: 1,
  data,
  metadata: {
    eventId: randomUUID(),
    correlationId: 'c',
    causationId: 'c',
    userId: 'u',
    occurredAt: new Date().toISOString(),
  },
});

/** What only the MySQL store promises; the EventStore port's own cases run in event-store-contract.int.ts. */
describe('MySQL event store', () => {
  let env: TestEnv;
  const pools: Pool[] = [];
  const openStore = (beforeCommit?: () => Promise<void>): MySqlEventStore => {
    const pool = createMySqlPool({
      url: env.config.eventStore.url,
      connectionLimit: 4,
      lockWaitTimeoutSeconds: 30,
    });
    pools.push(pool);
    return new MySqlEventStore(pool, { maxBatchAppends: 100, ...(beforeCommit ? { beforeCommit } : {}) });
  };
  let store: MySqlEventStore;

  beforeAll(async () => {
    env = createTestEnv();
    await ensureDatabase(env.config.eventStore.url);
    store = openStore();
    await migrateEventStore(pools[0]!);
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await env.cleanup();
  });

  it('lets exactly one of many concurrent writers win the same expected revision', async () => {
    const stream = `s-${randomUUID()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.append(stream, [event()], 'no_stream')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof WrongExpectedRevisionError),
    ).toHaveLength(19);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('pages through everything by global position with no gaps', async () => {
    const before = await store.headPosition();
    for (let i = 0; i < 25; i++) await store.append(`s-${randomUUID()}`, [event()], 'no_stream');
    const seen: bigint[] = [];
    for (let after = before; ;) {
      const page = await store.readAll(after, 7);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.position));
      after = page.at(-1)!.position;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => before + BigInt(i) + 1n));
    expect(await store.headPosition()).toBe(before + 25n);
  });

  it('never lets a reader skip an event whose transaction commits late', async () => {
    // Writer A takes its positions and then stalls before COMMIT; writer B (another process) appends meanwhile.
    let releaseA!: () => void;
    let aReachedCommit!: () => void;
    const aStalled = new Promise<void>((resolve) => (aReachedCommit = resolve));
    const writerA = openStore(async () => {
      aReachedCommit();
      await new Promise<void>((resolve) => (releaseA = resolve));
    });
    const writerB = openStore();
    const head = await store.headPosition();

    const appendA = writerA.append(`a-${randomUUID()}`, [event('A')], 'no_stream');
    await aStalled;
    const appendB = writerB.append(`b-${randomUUID()}`, [event('B')], 'no_stream');
    await new Promise((resolve) => setTimeout(resolve, 300));

    // While A is open, a reader sees neither A nor B: B cannot commit ahead of A.
    expect(await store.readAll(head, 100)).toEqual([]);
    releaseA();
    const [a, b] = await Promise.all([appendA, appendB]);
    expect(a.position).toBe(head + 1n);
    expect(b.position).toBe(head + 2n);
    expect((await store.readAll(head, 100)).map((e) => e.type)).toEqual(['A', 'B']);
  });

  it('hands a tailing reader every event exactly once while four processes append concurrently', async () => {
    const writers = [openStore(), openStore(), openStore(), openStore()];
    const start = await store.headPosition();
    const perWriter = 150;
    const writing = { active: true };
    const seen: RecordedEvent[] = [];
    const tail = (async () => {
      let after = start;
      for (;;) {
        const page = await store.readAll(after, 50);
        seen.push(...page);
        if (page.length > 0) after = page.at(-1)!.position;
        else if (!writing.active) return;
        else await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await Promise.all(
      writers.map((writer, w) =>
        Promise.all(
          Array.from({ length: perWriter }, (_, i) =>
            writer.append(`w${w}-${i % 10}-${start}`, [event('W', { w, i })], 'any'),
          ),
        ),
      ),
    );
    writing.active = false;
    await tail;
    const total = writers.length * perWriter;
    expect(seen.map((e) => e.position)).toEqual(
      Array.from({ length: total }, (_, i) => start + BigInt(i) + 1n),
    );
    // Per-stream order: revisions of each stream arrive 0, 1, 2, ...
    const lastRevision = new Map<string, bigint>();
    for (const e of seen) {
      expect(e.revision).toBe((lastRevision.get(e.streamId) ?? -1n) + 1n);
      lastRevision.set(e.streamId, e.revision);
    }
  });
});
