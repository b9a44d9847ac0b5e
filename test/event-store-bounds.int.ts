import { systemContext, withMetadata } from '../commands/command-context';
import type { EventStore } from '../commands/event-store-port';
import { OverloadedError } from '../commands/overloaded-error';
import { EventStoreDbEventStore } from '../infra/eventstoredb/eventstoredb-event-store';
import { migrateEventStore } from '../infra/mysql/event-store-schema';
import { MySqlEventStore } from '../infra/mysql/mysql-event-store';
import { createMySqlPool, ensureDatabase } from '../infra/mysql/mysql-pool';
import type { AppendQueueStats } from '../infra/resilience/append-queue-stats';
import { startInProcessEventStoreDb } from './support/esdb-streams-server';
import { createTestEnv } from './support/test-env';

const BOUND = 3;

const appendOne = (store: EventStore, i: number) =>
  store.append(
    `bounds-${i}`,
    withMetadata(
      [{ type: 'BoundsTested', schemaVersion: 1, data: { i } }],
      systemContext('bounds'),
      new Date(),
      () => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    ),
    'no_stream',
  );

/**
 * Both event-store adapters bound what waits for them (COUPONKILL_EVENT_STORE_QUEUE_MAX): the embedded store its
 * group-commit queue (the commit under way aside), EventStoreDB its appends in flight. Appends past the bound are
 * refused at once with OverloadedError, before anything is sent, and counted; admitAppend says so beforehand.
 */
describe.each([
  {
    name: 'the MySQL event store (its group-commit queue)',
    // One append commits at once; BOUND more wait for the next commit.
    accepted: 1 + BOUND,
    open: async () => {
      const env = createTestEnv();
      await ensureDatabase(env.config.eventStore.url);
      const pool = createMySqlPool({
        url: env.config.eventStore.url,
        connectionLimit: 4,
        lockWaitTimeoutSeconds: 30,
      });
      await migrateEventStore(pool);
      const store = new MySqlEventStore(pool, {
        maxBatchAppends: 100,
        maxQueuedAppends: BOUND,
        overloadRetryAfterSeconds: 4,
      });
      return {
        store,
        close: async () => {
          await store.close();
          await env.cleanup();
        },
      };
    },
  },
  {
    name: 'the EventStoreDB adapter (its appends in flight)',
    accepted: BOUND,
    open: async () => {
      const server = await startInProcessEventStoreDb();
      const store = new EventStoreDbEventStore({
        connectionString: server.connectionString,
        maxPendingAppends: BOUND,
        overloadRetryAfterSeconds: 4,
      });
      return {
        store,
        close: async () => {
          await store.close();
          await server.stop();
        },
      };
    },
  },
])('$name', ({ accepted, open }) => {
  let opened: { store: EventStore & { readonly appendQueue: AppendQueueStats }; close(): Promise<void> };
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(() => opened.close());

  it('refuses appends past its bound at once, unsent, and counts them', async () => {
    const { store } = opened;
    expect(() => store.admitAppend()).not.toThrow();
    const attempts = Array.from({ length: accepted + 2 }, (_, i) => appendOne(store, i));
    expect(store.appendQueue).toMatchObject({ depth: BOUND, limit: BOUND });
    expect(() => store.admitAppend()).toThrow(OverloadedError);
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(accepted);
    for (const refused of outcomes.slice(accepted)) {
      expect(refused.status).toBe('rejected');
      expect((refused as PromiseRejectedResult).reason).toMatchObject({
        name: 'OverloadedError',
        retryAfterSeconds: 4,
      });
    }
    // admitAppend's refusal counts as well.
    expect(store.appendQueue).toEqual({ depth: 0, limit: BOUND, shed: 3 });
    expect(() => store.admitAppend()).not.toThrow();
    const stored = await store.readAll(0n, 100);
    expect(stored.map((e) => e.streamId).sort()).toEqual(
      Array.from({ length: accepted }, (_, i) => `bounds-${i}`).sort(),
    );
    // Room again: the next append is taken.
    await expect(appendOne(store, 100)).resolves.toMatchObject({ nextExpectedRevision: 0n });
  });
});
