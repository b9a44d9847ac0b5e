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
import type { DependencyBreaker } from './dependency-breaker';

/**
 * The EventStore port behind a circuit breaker, whichever adapter serves it: appends, reads and pings go through the
 * breaker, and `admitAppend` asks the breaker before the adapter's own queue. A catch-up subscription is not guarded:
 * the relay that holds it resubscribes with its own back-off.
 */
export class BreakingEventStore implements EventStore {
  constructor(
    private readonly store: EventStore,
    private readonly breaker: DependencyBreaker,
  ) {}

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    return this.breaker.execute(() => this.store.append(streamId, events, expected, options));
  }

  readStream(streamId: string): Promise<RecordedEvent[]> {
    return this.breaker.execute(() => this.store.readStream(streamId));
  }

  readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]> {
    return this.breaker.execute(() => this.store.readAll(afterPosition, maxCount));
  }

  subscribeAll(after: LogPosition, maxBatch: number, signal: AbortSignal): AsyncIterable<CatchUpBatch> {
    return this.store.subscribeAll(after, maxBatch, signal);
  }

  admitAppend(): void {
    this.breaker.admit();
    this.store.admitAppend();
  }

  headPosition(): Promise<bigint> {
    return this.breaker.execute(() => this.store.headPosition());
  }

  ping(): Promise<void> {
    return this.breaker.execute(() => this.store.ping());
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
