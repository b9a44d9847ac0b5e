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
import { CallsInFlight } from '../../commands/calls-in-flight';
import type { AppendQueueStats, HasAppendQueue } from './append-queue-stats';

type Adapter = EventStore & HasAppendQueue;

interface Slot {
  readonly store: Adapter;
  readonly calls: CallsInFlight;
}

/**
 * The event store every handler uses, in front of the adapter of the endpoint in force: a live change of
 * COUPONKILL_EVENT_STORE_URL (a promoted replica) moves new calls to a new adapter with `use`, then `drain` waits for
 * the calls the old one is still serving. It remembers the highest position it saw acknowledged or read
 * (`highestSeen`): a new endpoint whose log ends before it lacks events this process saw stored.
 */
export class SwitchableEventStore implements EventStore, HasAppendQueue {
  private slot: Slot;
  private seen = 0n;

  constructor(store: Adapter) {
    this.slot = { store, calls: new CallsInFlight() };
  }

  get highestSeen(): bigint {
    return this.seen;
  }

  get appendQueue(): AppendQueueStats {
    return this.slot.store.appendQueue;
  }

  /** Sends every call from now on to `store`; returns the previous adapter and a way to wait for its calls. */
  use(store: Adapter): { readonly store: Adapter; drain(timeoutMs: number): Promise<boolean> } {
    const previous = this.slot;
    this.slot = { store, calls: new CallsInFlight() };
    return { store: previous.store, drain: (timeoutMs) => previous.calls.drain(timeoutMs) };
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const result = await this.through((store) => store.append(streamId, events, expected, options));
    this.see(result.position);
    return result;
  }

  readStream(streamId: string): Promise<RecordedEvent[]> {
    return this.through((store) => store.readStream(streamId));
  }

  async readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]> {
    const events = await this.through((store) => store.readAll(afterPosition, maxCount));
    const last = events.at(-1);
    if (last) this.see(last.position);
    return events;
  }

  /** A subscription stays on the adapter it began on; when that one closes, the subscriber resubscribes here. */
  subscribeAll(after: LogPosition, maxBatch: number, signal: AbortSignal): AsyncIterable<CatchUpBatch> {
    return this.slot.store.subscribeAll(after, maxBatch, signal);
  }

  admitAppend(): void {
    this.slot.store.admitAppend();
  }

  async headPosition(): Promise<bigint> {
    const head = await this.through((store) => store.headPosition());
    this.see(head);
    return head;
  }

  ping(): Promise<void> {
    return this.through((store) => store.ping());
  }

  close(): Promise<void> {
    return this.slot.store.close();
  }

  private see(position: bigint): void {
    if (position > this.seen) this.seen = position;
  }

  private through<T>(call: (store: Adapter) => Promise<T>): Promise<T> {
    const { store, calls } = this.slot;
    return calls.run(() => call(store));
  }
}
