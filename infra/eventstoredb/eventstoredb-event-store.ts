import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  excludeSystemEvents,
  type AllStreamResolvedEvent,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { OverloadedError } from '../../commands/overloaded-error';
import type {
  AppendOptions,
  AppendResult,
  CatchUpBatch,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  LogPosition,
  RecordedEvent,
} from '../../commands/event-store-port';
import type { AppendQueueStats, HasAppendQueue } from '../resilience/append-queue-stats';
import { bufferedBatches } from './buffered-batches';
import { EVENT_STORE, toPortError } from './esdb-errors';
import { isSystemEventType, toEventData, toRecordedEvent, type EsdbStoredEvent } from './event-mapping';
import { toClientExpectedRevision } from './expected-revision';
import { isAfter, isKnownPosition, toReadPosition } from './log-positions';

export interface EventStoreDbEventStoreOptions {
  /** `esdb://user:password@host:2113?tls=false`, `esdb+discover://…` for a cluster; see the client's documentation. */
  readonly connectionString: string;
  /** Events read from `$all` per request while paging past EventStoreDB's own ($-prefixed) events. */
  readonly readPageSize?: number;
  /**
   * Most appends sent and not answered yet (the client queues what the connection cannot carry at once): past it an
   * append is refused at once with OverloadedError. Unbounded when not given.
   */
  readonly maxPendingAppends?: number;
  /** The Retry-After of that refusal, in seconds (1 when not given). */
  readonly overloadRetryAfterSeconds?: number;
}

const DEFAULT_READ_PAGE_SIZE = 500;

/**
 * The EventStore port on EventStoreDB (gRPC client 6.x). Appends carry our event ids, so a retried append with a
 * non-`any` expected revision is deduplicated by the server; the global log is `$all` without EventStoreDB's own
 * events; the catch-up subscription is `subscribeToAll` with `excludeSystemEvents()`, resumed exclusively from the
 * {commit, prepare} of the last event handled. Appends in flight are bounded (`maxPendingAppends`), as the embedded
 * store bounds its queue.
 */
export class EventStoreDbEventStore implements EventStore, HasAppendQueue {
  private readonly client: EventStoreDBClient;
  private readonly readPageSize: number;
  private readonly maxPendingAppends: number;
  private readonly retryAfterSeconds: number;
  private pendingAppends = 0;
  private shed = 0;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.readPageSize = options.readPageSize ?? DEFAULT_READ_PAGE_SIZE;
    this.maxPendingAppends = options.maxPendingAppends ?? Number.POSITIVE_INFINITY;
    this.retryAfterSeconds = options.overloadRetryAfterSeconds ?? 1;
  }

  admitAppend(): void {
    if (this.pendingAppends < this.maxPendingAppends) return;
    this.shed += 1;
    throw new OverloadedError('event store appends in flight', this.retryAfterSeconds);
  }

  /** `depth`: appends sent and not answered yet. */
  get appendQueue(): AppendQueueStats {
    return { depth: this.pendingAppends, limit: this.maxPendingAppends, shed: this.shed };
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    this.admitAppend();
    this.pendingAppends += 1;
    try {
      // The gRPC deadline bounds our wait; the server may still commit an append whose deadline passed in flight.
      const deadline =
        options.deadlineMs === undefined ? undefined : Math.max(1, options.deadlineMs - Date.now());
      const result = await this.client.appendToStream(streamId, events.map(toEventData), {
        expectedRevision: toClientExpectedRevision(expected),
        ...(deadline === undefined ? {} : { deadline }),
      });
      const position = isKnownPosition(result.position)
        ? result.position.commit
        : await this.positionOf(streamId, result.nextExpectedRevision);
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      throw toPortError(error, { streamId, expected });
    } finally {
      this.pendingAppends -= 1;
    }
  }

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    try {
      const read = await collect(
        this.client.readStream(streamId, { fromRevision: START, direction: FORWARDS }),
      );
      return read.flatMap((resolved) => (resolved.event ? [toRecordedEvent(resolved.event)] : []));
    } catch (error) {
      // The client reports a missing stream while iterating, not when the read is made.
      if (error instanceof StreamNotFoundError) return [];
      throw toPortError(error);
    }
  }

  async readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const after = { commit: afterPosition, prepare: afterPosition };
    // Reads of $all start *at* the given position, so the event there (already handled by the caller) is skipped.
    let from: ReadPosition = afterPosition === 0n ? START : after;
    let bound: Position | null = afterPosition === 0n ? null : after;
    try {
      while (events.length < maxCount) {
        const page = await this.readAllPage(from, FORWARDS);
        for (const stored of page) {
          if (bound !== null && !isAfter(stored.position, bound)) continue;
          if (!isSystemEventType(stored.type)) events.push(toRecordedEvent(stored));
          if (events.length === maxCount) break;
        }
        const last = page.at(-1);
        if (page.length < this.readPageSize || !last) break;
        from = last.position;
        bound = last.position;
      }
      return events;
    } catch (error) {
      throw toPortError(error);
    }
  }

  async *subscribeAll(
    after: LogPosition,
    maxBatch: number,
    signal: AbortSignal,
  ): AsyncGenerator<CatchUpBatch> {
    if (signal.aborted) return;
    const subscription = this.client.subscribeToAll({
      fromPosition: toReadPosition(after),
      filter: excludeSystemEvents(),
    });
    const ended = (): Error =>
      new DependencyUnavailableError(EVENT_STORE, 'the server ended the $all subscription');
    try {
      for await (const resolvedBatch of bufferedBatches<AllStreamResolvedEvent>(
        subscription,
        maxBatch,
        signal,
        ended,
      )) {
        const stored = resolvedBatch.flatMap((resolved) => withPosition(resolved.event));
        const last = stored.at(-1);
        // The server filter already drops EventStoreDB's own events; this guards against an older server ignoring it.
        const events = stored.filter((e) => !isSystemEventType(e.type)).map(toRecordedEvent);
        if (!last || events.length === 0) continue;
        yield { events, resumeFrom: { commit: last.position.commit, prepare: last.position.prepare } };
      }
    } catch (error) {
      throw toPortError(error);
    } finally {
      // A late failure of the cancelled call must not become an unhandled 'error' event.
      subscription.on('error', () => undefined);
      await subscription.unsubscribe().catch(() => undefined);
      subscription.destroy();
    }
  }

  async headPosition(): Promise<bigint> {
    let from: ReadPosition = END;
    let bound: Position | null = null;
    try {
      for (;;) {
        const page = await this.readAllPage(from, BACKWARDS);
        for (const stored of page) {
          if (bound !== null && isAfter(stored.position, bound)) continue;
          if (
            bound !== null &&
            stored.position.commit === bound.commit &&
            stored.position.prepare === bound.prepare
          )
            continue;
          if (!isSystemEventType(stored.type)) return stored.position.commit;
        }
        const last = page.at(-1);
        if (page.length < this.readPageSize || !last) return 0n;
        from = last.position;
        bound = last.position;
      }
    } catch (error) {
      throw toPortError(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await collect(this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
    } catch (error) {
      const mapped = toPortError(error);
      throw mapped instanceof DependencyUnavailableError
        ? mapped
        : new DependencyUnavailableError(EVENT_STORE, error);
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async readAllPage(
    from: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
  ): Promise<(EsdbStoredEvent & { readonly position: Position })[]> {
    const read = await collect(
      this.client.readAll({ fromPosition: from, direction, maxCount: this.readPageSize }),
    );
    return read.flatMap((resolved) => withPosition(resolved.event));
  }

  /**
   * The position of the event at `revision`, for a server that answers an idempotent append without one (before
   * v23 it did). Only a read of `$all` would be certain to carry it; a stream read does on current servers.
   */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    const [resolved] = await collect(
      this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 }),
    );
    return resolved?.event && isKnownPosition(resolved.event.position) ? resolved.event.position.commit : 0n;
  }
}

/**
 * Reads a bounded read to its end. Leaving one early (`break`) would unpipe the gRPC call with its end still unread,
 * and the client's dispose() waits for every call it started to finish.
 */
const collect = async <Item>(read: AsyncIterable<Item>): Promise<Item[]> => {
  const items: Item[] = [];
  for await (const item of read) items.push(item);
  return items;
};

/** Events of `$all` always carry their position; an entry without one (none is known) is dropped. */
const withPosition = (
  event: ResolvedEvent['event'] | AllStreamResolvedEvent['event'],
): (EsdbStoredEvent & { readonly position: Position })[] =>
  event && isKnownPosition(event.position) ? [{ ...event, position: event.position }] : [];
