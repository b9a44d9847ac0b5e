import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '../commands/dependency-error';
import {
  AppendDeadlineError,
  START_OF_LOG,
  WrongExpectedRevisionError,
  type CatchUpBatch,
  type EventStore,
  type EventToAppend,
  type LogPosition,
  type RecordedEvent,
} from '../commands/event-store-port';
import {
  inMemoryAdapter,
  inProcessEsdbAdapter,
  mySqlAdapter,
  realEsdbAdapter,
  type AdapterFactory,
  type StoreUnderTest,
} from './support/esdb/contract-adapters';

/**
 * The EventStore port's contract, written once and run against every adapter: the MySQL store, the EventStoreDB
 * adapter over the in-process EventStoreDB, the in-memory store of the unit specs, and the EventStoreDB adapter over a
 * real server when ESDB_CONNECTION_STRING names one. Every test uses fresh streams under its own prefix, so the suite also runs
 * against a server that holds other data.
 */

const REAL_SERVER_SKIP_REASON =
  'ESDB_CONNECTION_STRING is not set (no EventStoreDB server can be installed from the registries this machine reaches)';
const realServer = process.env.ESDB_CONNECTION_STRING;
if (!realServer)
  console.info(`EventStoreDB contract: skipped against a real server: ${REAL_SERVER_SKIP_REASON}`);

const SUBSCRIPTION_TIMEOUT_MS = 20_000;

const newEvent = (type: string, n: number): EventToAppend => ({
  type,
  schemaVersion: 3,
  data: { n, note: 'contract' },
  metadata: {
    eventId: randomUUID(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    userId: 'contract-user',
    occurredAt: new Date().toISOString(),
  },
});

const eventIds = (events: readonly RecordedEvent[]): string[] => events.map((e) => e.metadata.eventId);

/** Every event after `after` whose stream starts with `prefix`, paging `pageSize` at a time. */
const readAllOf = async (
  store: EventStore,
  prefix: string,
  after: bigint,
  pageSize: number,
): Promise<RecordedEvent[]> => {
  const seen: RecordedEvent[] = [];
  for (let from = after; ;) {
    const page = await store.readAll(from, pageSize);
    const last = page.at(-1);
    if (!last) return seen;
    expect(page.length).toBeLessThanOrEqual(pageSize);
    expect(page[0]?.position).toBeGreaterThan(from);
    seen.push(...page.filter((e) => e.streamId.startsWith(prefix)));
    from = last.position;
  }
};

interface Received {
  readonly events: RecordedEvent[];
  readonly batches: CatchUpBatch[];
}

/**
 * Consumes a subscription until `done` holds for the events of streams under `prefix`, then aborts it. Fails on a
 * timeout, so a subscription that stops delivering fails the test instead of hanging it.
 */
const subscribeUntil = async (
  store: EventStore,
  from: LogPosition,
  prefix: string,
  maxBatch: number,
  done: (events: readonly RecordedEvent[]) => boolean,
): Promise<Received> => {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), SUBSCRIPTION_TIMEOUT_MS);
  const received: Received = { events: [], batches: [] };
  try {
    for await (const batch of store.subscribeAll(from, maxBatch, abort.signal)) {
      received.batches.push(batch);
      received.events.push(...batch.events.filter((e) => e.streamId.startsWith(prefix)));
      if (done(received.events)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  if (!done(received.events))
    throw new Error(`subscription timed out with ${received.events.length} events of ${prefix}`);
  return received;
};

const expectWellFormedBatches = (batches: readonly CatchUpBatch[], maxBatch: number): void => {
  let previous: bigint | null = null;
  for (const batch of batches) {
    expect(batch.events.length).toBeGreaterThan(0);
    expect(batch.events.length).toBeLessThanOrEqual(maxBatch);
    const last = batch.events.at(-1);
    expect(batch.resumeFrom.commit).toBe(last?.position);
    for (const event of batch.events) {
      expect(event.type.startsWith('$')).toBe(false);
      if (previous !== null) expect(event.position).toBeGreaterThan(previous);
      previous = event.position;
    }
  }
};

const contract = (factory: AdapterFactory): void => {
  let sut: StoreUnderTest;
  let store: EventStore;
  let prefix: string;

  beforeAll(async () => {
    sut = await factory.open();
    store = sut.store;
  });
  afterAll(async () => {
    await sut.close();
  });
  beforeEach(() => {
    prefix = `contract-${randomUUID().slice(0, 8)}-`;
  });

  it('appends and reads a stream back in order, with its data, metadata and schema version', async () => {
    const stream = `${prefix}order`;
    const first = await store.append(stream, [newEvent('A', 1), newEvent('B', 2)], 'no_stream');
    expect(first.nextExpectedRevision).toBe(1n);
    const second = await store.append(stream, [newEvent('C', 3)], 1n);
    expect(second.nextExpectedRevision).toBe(2n);
    expect(second.position).toBeGreaterThan(first.position);

    const read = await store.readStream(stream);
    expect(read.map((e) => [e.type, e.revision])).toEqual([
      ['A', 0n],
      ['B', 1n],
      ['C', 2n],
    ]);
    expect(read[2]).toMatchObject({
      streamId: stream,
      schemaVersion: 3,
      data: { n: 3, note: 'contract' },
      metadata: { userId: 'contract-user' },
    });
    expect(read[2]?.recordedAt).toBeInstanceOf(Date);
    expect(Math.abs((read[2]?.recordedAt.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('rejects no_stream on an existing stream, stream_exists on a missing one and a stale revision', async () => {
    const stream = `${prefix}conflicts`;
    await store.append(stream, [newEvent('A', 1), newEvent('B', 2)], 'no_stream');

    const existing = store.append(stream, [newEvent('C', 3)], 'no_stream');
    await expect(existing).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(existing).rejects.toMatchObject({ streamId: stream, expected: 'no_stream', actual: 1n });

    const missing = `${prefix}missing`;
    await expect(store.append(missing, [newEvent('A', 1)], 'stream_exists')).rejects.toMatchObject({
      streamId: missing,
      expected: 'stream_exists',
      actual: 'no_stream',
    });
    await expect(store.append(missing, [newEvent('A', 1)], 0n)).rejects.toMatchObject({
      actual: 'no_stream',
    });
    await expect(store.append(stream, [newEvent('C', 3)], 0n)).rejects.toMatchObject({
      expected: 0n,
      actual: 1n,
    });
    await expect(store.append(stream, [newEvent('C', 3)], 7n)).rejects.toMatchObject({ actual: 1n });

    expect(await store.readStream(stream)).toHaveLength(2);
    expect(await store.readStream(missing)).toEqual([]);
    await expect(store.append(stream, [newEvent('C', 3)], 'stream_exists')).resolves.toMatchObject({
      nextExpectedRevision: 2n,
    });
  });

  it("appends with 'any' whether or not the stream exists", async () => {
    const stream = `${prefix}any`;
    await expect(store.append(stream, [newEvent('A', 1)], 'any')).resolves.toMatchObject({
      nextExpectedRevision: 0n,
    });
    await expect(store.append(stream, [newEvent('B', 2)], 'any')).resolves.toMatchObject({
      nextExpectedRevision: 1n,
    });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B']);
  });

  it('answers a retried append of the same event ids with the original result and stores nothing twice', async () => {
    const stream = `${prefix}retry`;
    const before = await store.headPosition();
    const created = [newEvent('A', 1), newEvent('B', 2)];
    const first = await store.append(stream, created, 'no_stream');
    expect(await store.append(stream, created, 'no_stream')).toEqual(first);

    const next = [newEvent('C', 3)];
    const second = await store.append(stream, next, 1n);
    expect(await store.append(stream, next, 1n)).toEqual(second);
    // A retry of the first append after the stream moved on is still recognised.
    expect(await store.append(stream, created, 'no_stream')).toEqual(first);

    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    const logged = await readAllOf(store, prefix, before, 100);
    expect(logged.map((e) => e.type)).toEqual(['A', 'B', 'C']);
    expect(logged.at(-1)?.position).toBe(second.position);
  });

  (factory.deadlineStoresNothing ? it : it.skip)(
    'refuses an append past its deadline as AppendDeadlineError (an overload, not an outage) and stores none of it',
    async () => {
      const stream = `${prefix}deadline`;
      const before = await store.headPosition();
      const late = store.append(stream, [newEvent('A', 1)], 'no_stream', { deadlineMs: Date.now() - 1 });
      await expect(late).rejects.toBeInstanceOf(AppendDeadlineError);
      await expect(late).rejects.not.toBeInstanceOf(DependencyUnavailableError);
      expect(await store.readStream(stream)).toEqual([]);
      expect(await readAllOf(store, prefix, before, 100)).toEqual([]);
      // In time, the same stream takes it as if nothing had been tried.
      const onTime = [newEvent('B', 2)];
      await expect(
        store.append(stream, onTime, 'no_stream', { deadlineMs: Date.now() + 60_000 }),
      ).resolves.toMatchObject({ nextExpectedRevision: 0n });
      expect(eventIds(await store.readStream(stream))).toEqual(onTime.map((e) => e.metadata.eventId));
    },
  );

  it('reads a missing stream as empty', async () => {
    expect(await store.readStream(`${prefix}never-written`)).toEqual([]);
  });

  it('reads the global log after a position exclusively, in order, and pages through it without skipping', async () => {
    const before = await store.headPosition();
    const appended: { stream: string; ids: string[]; position: bigint }[] = [];
    for (let i = 0; i < 12; i++) {
      const stream = `${prefix}${i % 3}`;
      const events = [newEvent('Paged', i), newEvent('Paged', i)];
      const known = appended.filter((a) => a.stream === stream).length;
      const result = await store.append(stream, events, known === 0 ? 'no_stream' : BigInt(known * 2 - 1));
      appended.push({ stream, ids: events.map((e) => e.metadata.eventId), position: result.position });
    }
    const expectedIds = appended.flatMap((a) => a.ids);

    for (const pageSize of [1, 5, 7, 100]) {
      const read = await readAllOf(store, prefix, before, pageSize);
      expect(eventIds(read)).toEqual(expectedIds);
      const positions = read.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(new Set(positions).size).toBe(positions.length);
      for (const stream of new Set(appended.map((a) => a.stream)))
        expect(read.filter((e) => e.streamId === stream).map((e) => e.revision)).toEqual([
          0n,
          1n,
          2n,
          3n,
          4n,
          5n,
          6n,
          7n,
        ]);
    }

    // Exclusive: reading after an event's position starts with the event after it.
    const all = await readAllOf(store, prefix, before, 100);
    const third = all[2];
    const fourth = all[3];
    if (!third || !fourth) throw new Error('too few events read');
    const [next] = await store.readAll(third.position, 1);
    expect(next?.metadata.eventId).toBe(fourth.metadata.eventId);
    expect(all.at(-1)?.position).toBe(appended.at(-1)?.position);
  });

  it('reports the newest event position as the head', async () => {
    const result = await store.append(`${prefix}head`, [newEvent('A', 1), newEvent('B', 2)], 'no_stream');
    const head = await store.headPosition();
    // Other writers may share a real server; on ours nothing else is written.
    if (factory.interruptible) {
      expect(head).toBe(result.position);
      expect(await store.readAll(head, 10)).toEqual([]);
    } else expect(head).toBeGreaterThanOrEqual(result.position);
  });

  it('catches up from the start, then delivers live appends, and resumes exclusively from a resumeFrom', async () => {
    const stream = `${prefix}sub`;
    await store.append(stream, [newEvent('Old', 1), newEvent('Old', 2), newEvent('Old', 3)], 'no_stream');

    const liveIds: string[] = [];
    const caughtUp = subscribeUntil(store, START_OF_LOG, prefix, 2, (events) => events.length >= 6);
    // Appended while the subscription is catching up or live: either way it must deliver them once, in order.
    setTimeout(() => {
      const live = [newEvent('Live', 4), newEvent('Live', 5), newEvent('Live', 6)];
      liveIds.push(...live.map((e) => e.metadata.eventId));
      void store.append(stream, live, 2n);
    }, 300);
    const { events, batches } = await caughtUp;
    expect(events.map((e) => e.type)).toEqual(['Old', 'Old', 'Old', 'Live', 'Live', 'Live']);
    expect(eventIds(events).slice(3)).toEqual(liveIds);
    expectWellFormedBatches(batches, 2);

    // Resume after the third event: exactly the three after it.
    const thirdBatch = batches.find((b) =>
      b.events.some((e) => e.metadata.eventId === events[2]?.metadata.eventId),
    );
    const third = events[2];
    if (!thirdBatch || !third) throw new Error('the third event was not delivered');
    const resumed = await subscribeUntil(
      store,
      { commit: third.position, prepare: third.position },
      prefix,
      10,
      (received) => received.length >= 3,
    );
    expect(eventIds(resumed.events)).toEqual(eventIds(events.slice(3)));
    const resumedFromBatch = await subscribeUntil(store, thirdBatch.resumeFrom, prefix, 10, (received) =>
      received.some((e) => e.metadata.eventId === liveIds.at(-1)),
    );
    const afterBatch = events.slice(events.findIndex((e) => e.position === thirdBatch.resumeFrom.commit) + 1);
    expect(eventIds(resumedFromBatch.events)).toEqual(eventIds(afterBatch));
  });

  (factory.interruptible ? it : it.skip)(
    'fails a subscription whose connection is lost, and a resubscription from its checkpoint gets exactly the rest',
    async () => {
      if (!sut.openInterruptible)
        throw new Error('adapter is marked interruptible without a way to interrupt it');
      const { store: fragile, interrupt } = await sut.openInterruptible();
      const stream = `${prefix}dropped`;
      const before = await store.append(stream, [newEvent('E', 0), newEvent('E', 1)], 'no_stream');
      let checkpoint: LogPosition = { commit: before.position, prepare: before.position };
      // Start right before our events, so a real log's history does not matter.
      const [firstOfOurs] = await store.readStream(stream);
      if (!firstOfOurs) throw new Error('nothing appended');
      const handled: RecordedEvent[] = [];
      const abort = new AbortController();
      const failure = (async () => {
        for await (const batch of fragile.subscribeAll(
          { commit: firstOfOurs.position - 1n, prepare: firstOfOurs.position - 1n },
          1,
          abort.signal,
        )) {
          handled.push(...batch.events.filter((e) => e.streamId === stream));
          checkpoint = batch.resumeFrom;
          if (handled.length === 2) await interrupt();
        }
      })();
      const timer = setTimeout(() => abort.abort(), SUBSCRIPTION_TIMEOUT_MS);
      await expect(failure).rejects.toBeInstanceOf(DependencyUnavailableError);
      clearTimeout(timer);
      expect(handled.map((e) => e.data)).toEqual([
        { n: 0, note: 'contract' },
        { n: 1, note: 'contract' },
      ]);

      let revision = 1n;
      for (let n = 2; n < 6; n++, revision++) await store.append(stream, [newEvent('E', n)], revision);
      const rest = await subscribeUntil(store, checkpoint, prefix, 3, (events) => events.length >= 4);
      expect(rest.events.map((e) => e.data)).toEqual([2, 3, 4, 5].map((n) => ({ n, note: 'contract' })));
      await fragile.close().catch(() => undefined);
    },
  );

  it('reads back every event of 4 concurrent appenders exactly once, by readAll and by subscribeAll', async () => {
    const before = await store.headPosition();
    const APPENDERS = 4;
    const APPENDS_EACH = 100;
    const subscription = subscribeUntil(
      store,
      { commit: before, prepare: before },
      prefix,
      50,
      (events) => events.length >= APPENDERS * APPENDS_EACH,
    );
    const appended = await Promise.all(
      Array.from({ length: APPENDERS }, async (_, appender) => {
        const ids: string[] = [];
        for (let i = 0; i < APPENDS_EACH; i++) {
          const event = newEvent('Concurrent', i);
          await store.append(`${prefix}${appender}-${i}`, [event], 'no_stream');
          ids.push(event.metadata.eventId);
        }
        return ids;
      }),
    );
    const expected = appended.flat().sort();

    const read = await readAllOf(store, prefix, before, 64);
    expect(eventIds(read).sort()).toEqual(expected);
    const { events, batches } = await subscription;
    expect(eventIds(events).sort()).toEqual(expected);
    expectWellFormedBatches(batches, 50);
    expect(eventIds(events)).toEqual(eventIds(read));
  });

  it('reports an unreachable store as a DependencyUnavailableError', async () => {
    const unreachable = await sut.openUnreachable();
    const unavailable = expect.any(DependencyUnavailableError);
    await expect(unreachable.append(`${prefix}x`, [newEvent('A', 1)], 'no_stream')).rejects.toEqual(
      unavailable,
    );
    await expect(unreachable.readStream(`${prefix}x`)).rejects.toEqual(unavailable);
    await expect(unreachable.readAll(0n, 10)).rejects.toEqual(unavailable);
    await expect(unreachable.headPosition()).rejects.toEqual(unavailable);
    await expect(unreachable.ping()).rejects.toEqual(unavailable);
    const abort = new AbortController();
    const subscription = (async () => {
      for await (const _ of unreachable.subscribeAll(START_OF_LOG, 10, abort.signal)) break;
    })();
    await expect(subscription).rejects.toEqual(unavailable);
    abort.abort();
  });
};

const factories: AdapterFactory[] = [mySqlAdapter, inProcessEsdbAdapter, inMemoryAdapter];
if (realServer) factories.push(realEsdbAdapter(realServer));

describe.each(factories.map((factory) => [factory.name, factory] as const))(
  'EventStore contract: %s',
  (_, factory) => contract(factory),
);

if (!realServer)
  describe.skip(`EventStore contract: EventStoreDB adapter against a real server (skipped: ${REAL_SERVER_SKIP_REASON})`, () =>
    contract(realEsdbAdapter('esdb://unset')));
