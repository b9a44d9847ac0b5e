import { DependencyUnavailableError } from '../../../commands/dependency-error';
import {
  AppendDeadlineError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type CatchUpBatch,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type LogPosition,
  type RecordedEvent,
} from '../../../commands/event-store-port';
import { InvalidInputError } from '../../../commands/invalid-input-error';
import { OverloadedError } from '../../../commands/overloaded-error';
import type { EventMetadata } from '../../../domain/shared/event';

/** The rules MySqlEventStore applies before storing anything (its columns' limits). */
const STREAM_ID = /^[\x21-\x7e]{1,255}$/;
const EVENT_TYPE = /^[\x21-\x7e]{1,100}$/;
const MAX_METADATA_BYTES = 65_535;

type AppendMatcher = (streamId: string, events: readonly EventToAppend[]) => boolean;

/** An append that fails on purpose (InMemoryEventStore.failNextAppend). */
interface InjectedFailure {
  readonly matches: AppendMatcher;
  readonly error: () => Error;
}

/** Something that happens right before an append is decided (InMemoryEventStore.beforeNextAppend). */
interface InjectedStep {
  readonly matches: AppendMatcher;
  readonly action: () => Promise<unknown>;
}

/** The events every client of one in-memory store shares: the global log and its streams. */
class Log {
  readonly events: RecordedEvent[] = [];
  readonly streams = new Map<string, RecordedEvent[]>();
  readonly byEventId = new Map<string, RecordedEvent>();
  /** Woken on every append: live subscriptions waiting for the next event. */
  readonly listeners = new Set<() => void>();
  readonly failures: InjectedFailure[] = [];
  readonly steps: InjectedStep[] = [];

  head(): bigint {
    return this.events.at(-1)?.position ?? 0n;
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export interface InMemoryEventStoreOptions {
  /** Epoch ms now: decides whether an append missed its deadline, and stamps `recordedAt`. Date.now by default. */
  readonly now?: () => number;
}

/**
 * The EventStore port in memory, for specs that must not do I/O. It mirrors the embedded MySQL store
 * (infra/mysql/mysql-event-store.ts) decision by decision, and passes the same EventStore contract suite
 * (test/event-store-contract.int.ts):
 * - positions are gap-free from 1, revisions from 0; `readAll` is exclusive and in global order;
 * - an append is checked as MySQL checks it: first its deadline (past `deadlineMs` by `now()`:
 *   DependencyUnavailableError, nothing stored), then an idempotent retry (every event id already stored,
 *   consecutively in this stream: the original answer; stored elsewhere or in part: WrongExpectedRevisionError), then
 *   the expected revision;
 * - stream ids, event types and metadata are held to MySQL's column limits (InvalidInputError), and data and metadata
 *   are stored as JSON, so what does not survive MySQL's JSON columns does not survive here either;
 * - `subscribeAll` catches up in batches of `maxBatch`, then waits for appends, until its signal aborts.
 *
 * Where it knowingly differs: appends are decided one at a time (MySQL group-commits them, deciding each on its own,
 * which is observably the same); a live subscription is woken by each append instead of polling every 20 ms; reads
 * answer clones, so a caller mutating what it read changes nothing stored (MySQL answers fresh rows anyway).
 *
 * Test hooks: `connect()` opens another client on the same events, `disconnect()` cuts this client off (every call
 * rejects with DependencyUnavailableError and its subscriptions fail, as a lost connection does),
 * `InMemoryEventStore.unreachable()` is a client that never reaches its store, `failNextAppend` makes one append
 * fail without storing anything, `beforeNextAppend` lets another writer get in just before one, and
 * `fillAppendQueue` makes this client's append queue full for good (admitAppend and append refuse with
 * OverloadedError).
 */
export class InMemoryEventStore implements EventStore {
  private connected = true;
  private closed = false;
  private queueFull: OverloadedError | null = null;
  private readonly now: () => number;

  constructor(
    options: InMemoryEventStoreOptions = {},
    private readonly log: Log = new Log(),
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A client that never reaches its store. */
  static unreachable(): InMemoryEventStore {
    const store = new InMemoryEventStore();
    store.connected = false;
    return store;
  }

  /** Another client of the same events (its own connection, which `disconnect` cuts alone). */
  connect(options: InMemoryEventStoreOptions = { now: this.now }): InMemoryEventStore {
    return new InMemoryEventStore(options, this.log);
  }

  /** Cuts this client off: calls reject with DependencyUnavailableError and running subscriptions fail. */
  disconnect(): void {
    this.connected = false;
    this.log.notify();
  }

  reconnect(): void {
    this.connected = true;
  }

  /** The next append that `matches` fails with `error` (a DependencyUnavailableError by default), storing nothing. */
  failNextAppend(
    matches: AppendMatcher = () => true,
    error: () => Error = () => new DependencyUnavailableError('event store', 'injected append failure'),
  ): void {
    this.log.failures.push({ matches, error });
  }

  /**
   * Runs `action` (another writer's append, say) right before the next append that `matches` is decided, which then
   * sees what the action stored: a race lost at the last moment.
   */
  beforeNextAppend(matches: AppendMatcher, action: () => Promise<unknown>): void {
    this.log.steps.push({ matches, action });
  }

  /** This client's append queue is full from now on: appends are refused at once, unsent, as a full queue does. */
  fillAppendQueue(retryAfterSeconds = 1): void {
    this.queueFull = new OverloadedError('event store append queue', retryAfterSeconds);
  }

  admitAppend(): void {
    if (this.queueFull) throw this.queueFull;
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const problem = streamIdProblem(streamId) ?? eventsProblem(events);
    if (problem) throw problem;
    this.admitAppend();
    await this.roundTrip();
    const step = this.log.steps.findIndex((f) => f.matches(streamId, events));
    if (step >= 0) {
      const [injected] = this.log.steps.splice(step, 1);
      await injected?.action();
    }
    const failure = this.log.failures.findIndex((f) => f.matches(streamId, events));
    if (failure >= 0) {
      const [injected] = this.log.failures.splice(failure, 1);
      if (injected) throw injected.error();
    }

    // MySQL refuses an append already past its deadline when its batch starts, before looking at anything stored.
    if (this.now() > (options.deadlineMs ?? Number.POSITIVE_INFINITY)) throw new AppendDeadlineError(1);
    const places = events.map((e) => this.log.byEventId.get(e.metadata.eventId));
    if (places.every((p) => p !== undefined)) return idempotentRetry(streamId, expected, places);
    const stream = this.log.streams.get(streamId);
    const current = stream?.at(-1)?.revision;
    if (places.some((p) => p !== undefined) || !matches(expected, current))
      throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');

    const recordedAt = new Date(this.now());
    let revision = current ?? -1n;
    let position = this.log.head();
    const written: RecordedEvent[] = events.map((event) => {
      revision += 1n;
      position += 1n;
      return {
        streamId,
        revision,
        position,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: throughJson(event.data),
        metadata: throughJson(event.metadata) as EventMetadata,
        recordedAt,
      };
    });
    if (stream) stream.push(...written);
    else this.log.streams.set(streamId, written);
    for (const event of written) {
      this.log.events.push(event);
      this.log.byEventId.set(event.metadata.eventId, event);
    }
    this.log.notify();
    return { nextExpectedRevision: revision, position };
  }

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    const problem = streamIdProblem(streamId);
    if (problem) throw problem;
    await this.roundTrip();
    return (this.log.streams.get(streamId) ?? []).map(copy);
  }

  async readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]> {
    await this.roundTrip();
    return this.page(afterPosition, maxCount);
  }

  async *subscribeAll(
    after: LogPosition,
    maxBatch: number,
    signal: AbortSignal,
  ): AsyncIterable<CatchUpBatch> {
    let position = after.commit;
    while (!signal.aborted) {
      await this.roundTrip();
      const events = this.page(position, maxBatch);
      const last = events.at(-1);
      if (last) {
        position = last.position;
        yield { events, resumeFrom: { commit: position, prepare: position } };
        continue;
      }
      await this.nextAppendOrAbort(signal);
    }
  }

  async headPosition(): Promise<bigint> {
    await this.roundTrip();
    return this.log.head();
  }

  async ping(): Promise<void> {
    await this.roundTrip();
  }

  close(): Promise<void> {
    this.closed = true;
    this.log.notify();
    return Promise.resolve();
  }

  /** Answers on a later microtask, as a round trip would; rejects while this client cannot reach its store. */
  private async roundTrip(): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new DependencyUnavailableError('event store', new Error('the client is closed'));
    if (!this.connected)
      throw new DependencyUnavailableError(
        'event store',
        new Error('unreachable (InMemoryEventStore switch)'),
      );
  }

  private page(afterPosition: bigint, maxCount: number): RecordedEvent[] {
    // Positions are 1, 2, 3…: the event after position p is at index p.
    const start = afterPosition < 0n ? 0 : Number(afterPosition);
    return this.log.events.slice(start, start + Math.max(0, maxCount)).map(copy);
  }

  private nextAppendOrAbort(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.log.listeners.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.log.listeners.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

const streamIdProblem = (streamId: string): InvalidInputError | null =>
  STREAM_ID.test(streamId)
    ? null
    : new InvalidInputError('a stream id is 1 to 255 printable ASCII characters');

const eventsProblem = (events: readonly EventToAppend[]): InvalidInputError | null => {
  for (const event of events) {
    if (!EVENT_TYPE.test(event.type))
      return new InvalidInputError('an event type is 1 to 100 printable ASCII characters');
    if (Buffer.byteLength(JSON.stringify(event.metadata)) > MAX_METADATA_BYTES)
      return new InvalidInputError(`event metadata is at most ${MAX_METADATA_BYTES} bytes`);
  }
  return null;
};

const matches = (expected: ExpectedRevision, current: bigint | undefined): boolean => {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    default:
      return current === expected;
  }
};

/** Every event already stored: the original answer when they lie consecutively in this stream (as MySQL decides). */
const idempotentRetry = (
  streamId: string,
  expected: ExpectedRevision,
  places: readonly (RecordedEvent | undefined)[],
): AppendResult => {
  const stored = places as readonly RecordedEvent[];
  const last = stored.at(-1);
  const consecutive = stored.every(
    (p, i) => p.streamId === streamId && (i === 0 || p.revision === (stored[i - 1]?.revision ?? -1n) + 1n),
  );
  if (!last || !consecutive)
    throw new WrongExpectedRevisionError(streamId, expected, last?.revision ?? 'no_stream');
  return { nextExpectedRevision: last.revision, position: last.position };
};

/** What MySQL's JSON columns give back. */
const throughJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** A fresh copy of a stored event (its data and metadata are JSON already), so no reader can change what is stored. */
const copy = (event: RecordedEvent): RecordedEvent => ({
  ...event,
  data: throughJson(event.data),
  metadata: { ...event.metadata },
  recordedAt: new Date(event.recordedAt),
});
