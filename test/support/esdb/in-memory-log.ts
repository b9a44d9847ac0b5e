/** One event in the in-process EventStoreDB's log. Commit and prepare positions are equal, as on a v20+ server. */
export interface StoredRecord {
  readonly streamName: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  readonly position: bigint;
  /** Creation time in .NET ticks (100 ns) since the Unix epoch, as the gRPC protocol carries it. */
  readonly createdTicks: bigint;
}

export type ProposedEvent = Pick<StoredRecord, 'id' | 'type' | 'contentType' | 'data' | 'customMetadata'>;

export type ExpectedState =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export type AppendOutcome =
  | { readonly kind: 'success'; readonly currentRevision: bigint; readonly position: bigint }
  | { readonly kind: 'wrong_expected_version'; readonly currentRevision: bigint | null };

/** How often the server writes a statistics event of its own, so readers must skip system events mid-log. */
const SYSTEM_EVENT_EVERY_APPENDS = 5;
/** Records take bytes in a real log: positions grow by a rounded record size, never by 1. */
const RECORD_ALIGNMENT = 64;
const RECORD_OVERHEAD_BYTES = 120;

/**
 * The storage of the in-process EventStoreDB: one global log, streams as views of it, and synchronous listeners
 * for live subscriptions. Append decisions follow the server's commit check: an expected revision behind the stream
 * whose following events carry the same ids is an idempotent success answering the original revision and position.
 */
export class InMemoryLog {
  private readonly records: StoredRecord[] = [];
  private readonly streams = new Map<string, StoredRecord[]>();
  private readonly listeners = new Set<(record: StoredRecord) => void>();
  private nextPosition = 0n;
  private appendsSinceSystemEvent = 0;

  constructor() {
    // What a fresh server writes before any client does.
    this.writeSystemEvent('$epochs', '$epoch-information', { epochNumber: 0 });
    this.writeSystemEvent('$$$scavenges', '$metadata', { $maxAge: 2592000 });
    this.writeSystemEvent('$user-admin', '$UserCreated', { loginName: 'admin' });
  }

  get all(): readonly StoredRecord[] {
    return this.records;
  }

  stream(name: string): readonly StoredRecord[] | undefined {
    return this.streams.get(name);
  }

  /** Calls `listener` with every record written from now on; returns the unsubscribe function. */
  onRecord(listener: (record: StoredRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamName: string, expected: ExpectedState, events: readonly ProposedEvent[]): AppendOutcome {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length === 0 ? null : BigInt(stream.length - 1);
    const decision = decide(stream, current, expected, events);
    if (decision.kind !== 'write') return decision.outcome;
    let last: StoredRecord | undefined;
    for (const event of events) last = this.write(streamName, event);
    if (!last) return { kind: 'success', currentRevision: current ?? -1n, position: this.lastPosition() };
    if (++this.appendsSinceSystemEvent >= SYSTEM_EVENT_EVERY_APPENDS) {
      this.appendsSinceSystemEvent = 0;
      this.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', { 'proc-id': process.pid });
    }
    return { kind: 'success', currentRevision: last.revision, position: last.position };
  }

  private lastPosition(): bigint {
    return this.records.at(-1)?.position ?? 0n;
  }

  private writeSystemEvent(streamName: string, type: string, data: unknown): void {
    this.write(streamName, {
      id: crypto.randomUUID(),
      type,
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify(data)),
      customMetadata: new Uint8Array(),
    });
  }

  private write(streamName: string, event: ProposedEvent): StoredRecord {
    const stream = this.streams.get(streamName) ?? [];
    const record: StoredRecord = {
      ...event,
      streamName,
      revision: BigInt(stream.length),
      position: this.nextPosition,
      createdTicks: BigInt(Date.now()) * 10_000n,
    };
    const size = RECORD_OVERHEAD_BYTES + streamName.length + event.data.length + event.customMetadata.length;
    this.nextPosition += BigInt(Math.ceil(size / RECORD_ALIGNMENT) * RECORD_ALIGNMENT);
    stream.push(record);
    this.streams.set(streamName, stream);
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
    return record;
  }
}

type Decision = { readonly kind: 'write' } | { readonly kind: 'answer'; readonly outcome: AppendOutcome };

const decide = (
  stream: readonly StoredRecord[],
  current: bigint | null,
  expected: ExpectedState,
  events: readonly ProposedEvent[],
): Decision => {
  const wrong: Decision = {
    kind: 'answer',
    outcome: { kind: 'wrong_expected_version', currentRevision: current },
  };
  switch (expected.kind) {
    case 'no_stream':
    case 'revision': {
      const after = expected.kind === 'no_stream' ? -1n : expected.revision;
      if (after === (current ?? -1n)) return { kind: 'write' };
      if (after > (current ?? -1n)) return wrong;
      const retried = storedAt(stream, Number(after) + 1, events);
      return retried ? { kind: 'answer', outcome: retried } : wrong;
    }
    case 'stream_exists':
    case 'any': {
      if (expected.kind === 'stream_exists' && current === null) return wrong;
      // Without a revision the server can only recognise a retry by its ids (its recent-events cache).
      const first = events[0];
      const at = first ? stream.findIndex((r) => r.id === first.id) : -1;
      const retried = at >= 0 ? storedAt(stream, at, events) : null;
      return retried ? { kind: 'answer', outcome: retried } : { kind: 'write' };
    }
  }
};

/** The original answer when `events` are exactly the stream's records from `index` on, else null. */
const storedAt = (
  stream: readonly StoredRecord[],
  index: number,
  events: readonly ProposedEvent[],
): AppendOutcome | null => {
  if (events.length === 0 || !events.every((event, i) => stream[index + i]?.id === event.id)) return null;
  const last = stream[index + events.length - 1];
  return last ? { kind: 'success', currentRevision: last.revision, position: last.position } : null;
};
