import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import {
  WrongExpectedRevisionError,
  AppendDeadlineError,
  type AppendOptions,
  type AppendResult,
  type CatchUpBatch,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type LogPosition,
  type RecordedEvent,
} from '../../commands/event-store-port';
import { InvalidInputError } from '../../commands/invalid-input-error';
import { OverloadedError } from '../../commands/overloaded-error';
import type { AppendQueueStats, HasAppendQueue } from '../resilience/append-queue-stats';
import { classifySqlError } from './mysql-errors';
import { pollingCatchUp } from './polling-catch-up';
import type { EventMetadata } from '../../domain/shared/event';

export interface MySqlEventStoreOptions {
  /** Most appends committed in one transaction. */
  readonly maxBatchAppends: number;
  /**
   * Most appends waiting for the next group commit (the one committing aside): past it an append is refused at once
   * with OverloadedError instead of queueing without end. Unbounded when not given (tools that fill a store).
   */
  readonly maxQueuedAppends?: number;
  /** The Retry-After of that refusal, in seconds (1 when not given). */
  readonly overloadRetryAfterSeconds?: number;
  /** Test seam: runs inside the transaction, after the rows are written and before COMMIT. */
  readonly beforeCommit?: () => Promise<void>;
}

interface QueuedAppend {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
  /** Epoch ms after which the append must not be written at all (AppendOptions.deadlineMs). */
  readonly deadlineMs: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
}

interface StreamReader {
  readonly resolve: (events: RecordedEvent[]) => void;
  readonly reject: (error: Error) => void;
}

interface StoredPlace {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
}

type Outcome = { readonly append: QueuedAppend } & (
  { readonly result: AppendResult } | { readonly error: Error }
);

/** Streams per coalesced read: keeps the IN list and the answer bounded. */
const STREAMS_PER_READ = 500;

/** What the `stream_id` column holds: 1 to 255 printable ASCII characters. */
const STREAM_ID = /^[\x21-\x7e]{1,255}$/;
const EVENT_TYPE = /^[\x21-\x7e]{1,100}$/;
/** `metadata` is a TEXT column. */
const MAX_METADATA_BYTES = 65_535;

/** What refuses, for this caller alone and before any batch, a stream id the table cannot hold. */
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

const expired = (append: QueuedAppend, now = Date.now()): boolean => now > append.deadlineMs;

const EVENT_COLUMNS =
  'global_position, stream_id, stream_revision, event_id, event_type, schema_version, data, metadata, recorded_at';

/**
 * The embedded event store. Appends are group-committed: while one transaction commits, new appends queue up and
 * the next transaction takes them all, so many seckills share one fsync and one head-lock hold. Each append is still
 * decided on its own (expected revision, idempotent retry); a caller is answered only after its batch committed. The
 * queue is bounded (`maxQueuedAppends`): a full queue refuses appends at once with OverloadedError, so a burst past
 * what the database absorbs is shed instead of waiting past its deadline.
 */
export class MySqlEventStore implements EventStore, HasAppendQueue {
  private queue: QueuedAppend[] = [];
  private shed = 0;
  private streamReads = new Map<string, StreamReader[]>();
  private readonly reading = new Set<Promise<void>>();
  private committing: Promise<void> | null = null;
  private readonly maxQueued: number;

  constructor(
    private readonly pool: Pool,
    private readonly options: MySqlEventStoreOptions,
  ) {
    this.maxQueued = options.maxQueuedAppends ?? Number.POSITIVE_INFINITY;
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    const problem = streamIdProblem(streamId) ?? eventsProblem(events);
    if (problem) return Promise.reject(problem);
    const full = this.fullQueue();
    if (full) return Promise.reject(full);
    const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, deadlineMs, resolve, reject });
      this.commitQueued();
    });
  }

  admitAppend(): void {
    const full = this.fullQueue();
    if (full) throw full;
  }

  /** `depth`: appends waiting for the next group commit (those of the commit under way are not counted). */
  get appendQueue(): AppendQueueStats {
    return { depth: this.queue.length, limit: this.maxQueued, shed: this.shed };
  }

  /**
   * Reads issued in the same turn of the event loop share one query (the reconciler settles a page of reservations
   * at once, and retried seckills read their orders): one round trip instead of one per stream.
   */
  readStream(streamId: string): Promise<RecordedEvent[]> {
    const problem = streamIdProblem(streamId);
    if (problem) return Promise.reject(problem);
    return new Promise((resolve, reject) => {
      const waiting = this.streamReads.get(streamId);
      if (waiting) waiting.push({ resolve, reject });
      else this.streamReads.set(streamId, [{ resolve, reject }]);
      if (this.streamReads.size === 1 && waiting === undefined) setImmediate(() => this.readQueuedStreams());
    });
  }

  async readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]> {
    const rows = await this.select(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`,
      [afterPosition.toString(), maxCount],
    );
    return rows.map(toRecordedEvent);
  }

  subscribeAll(after: LogPosition, maxBatch: number, signal: AbortSignal): AsyncIterable<CatchUpBatch> {
    return pollingCatchUp((position, count) => this.readAll(position, count), after, maxBatch, 20, signal);
  }

  async headPosition(): Promise<bigint> {
    const rows = await this.select('SELECT last_position FROM event_log_head WHERE id = 1', []);
    return BigInt(String(rows[0]?.last_position ?? '0'));
  }

  async ping(): Promise<void> {
    await this.select('SELECT 1', []);
  }

  async close(): Promise<void> {
    // Reads queued in this turn are sent on the next one: let them finish before the pool goes.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.reading]);
    while (this.committing) await this.committing;
    await this.pool.end();
  }

  /** The refusal of an append now when the queue is full (counted as shed), else null. */
  /** An append that reached its deadline in the queue: never written, so not an outage (AppendDeadlineError). */
  private timedOut(): AppendDeadlineError {
    return new AppendDeadlineError(this.options.overloadRetryAfterSeconds ?? 1);
  }

  private fullQueue(): OverloadedError | null {
    if (this.queue.length < this.maxQueued) return null;
    this.shed += 1;
    return new OverloadedError('event store append queue', this.options.overloadRetryAfterSeconds ?? 1);
  }

  private async select(sql: string, values: unknown[]): Promise<RowDataPacket[]> {
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>(sql, values);
      return rows;
    } catch (error) {
      throw classifySqlError(error, 'event store');
    }
  }

  private readQueuedStreams(): void {
    const reads = this.streamReads;
    this.streamReads = new Map();
    const streamIds = [...reads.keys()];
    for (let i = 0; i < streamIds.length; i += STREAMS_PER_READ) {
      const chunk = streamIds.slice(i, i + STREAMS_PER_READ);
      const read = this.readStreams(chunk).then((results) => {
        for (const streamId of chunk) {
          const result = results.get(streamId) ?? [];
          for (const reader of reads.get(streamId) ?? [])
            if (result instanceof Error) reader.reject(result);
            else reader.resolve([...result]);
        }
      });
      this.reading.add(read);
      void read.finally(() => this.reading.delete(read));
    }
  }

  /**
   * One query for many streams. Should a value make the shared statement fail (a stream id the column cannot hold
   * slipped past the checks), each stream is read on its own, so only its own readers get the error.
   */
  private async readStreams(streamIds: readonly string[]): Promise<Map<string, RecordedEvent[] | Error>> {
    const query = async (ids: readonly string[]): Promise<Map<string, RecordedEvent[]>> => {
      const rows = await this.select(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id IN (?) ORDER BY stream_id, stream_revision`,
        [ids],
      );
      const byStream = new Map<string, RecordedEvent[]>();
      for (const event of rows.map(toRecordedEvent)) {
        const events = byStream.get(event.streamId);
        if (events) events.push(event);
        else byStream.set(event.streamId, [event]);
      }
      return byStream;
    };
    try {
      return await query(streamIds);
    } catch (error) {
      if (!(error instanceof InvalidInputError) || streamIds.length === 1)
        return new Map(streamIds.map((id) => [id, error as Error]));
      const each = await Promise.all(
        streamIds.map(async (id) => {
          try {
            return [id, (await query([id])).get(id) ?? []] as const;
          } catch (failure) {
            return [id, failure as Error] as const;
          }
        }),
      );
      return new Map<string, RecordedEvent[] | Error>(each);
    }
  }

  private commitQueued(): void {
    if (this.committing || this.queue.length === 0) return;
    const now = Date.now();
    const batch = this.queue.splice(0, this.options.maxBatchAppends).filter((append) => {
      if (!expired(append, now)) return true;
      append.reject(this.timedOut());
      return false;
    });
    this.committing = this.commitIsolating(batch).finally(() => {
      this.committing = null;
      this.commitQueued();
    });
  }

  /**
   * Commits a batch. Should a value in it make the shared transaction fail, each append is committed alone, so only
   * the append that holds the value fails (with InvalidInputError) and everyone else's is stored as usual.
   */
  private async commitIsolating(batch: readonly QueuedAppend[]): Promise<void> {
    if (batch.length === 0) return;
    const failure = await this.commit(batch);
    if (failure === null) return;
    if (failure instanceof InvalidInputError && batch.length > 1) {
      for (const append of batch) {
        const alone = await this.commit([append]);
        if (alone) append.reject(alone);
      }
      return;
    }
    for (const append of batch) append.reject(failure);
  }

  /** One transaction; answers every append of the batch itself unless the whole transaction failed (returned). */
  private async commit(batch: readonly QueuedAppend[]): Promise<Error | null> {
    let connection: PoolConnection | undefined;
    let outcomes: Outcome[];
    try {
      connection = await this.pool.getConnection();
      await connection.beginTransaction();
      outcomes = await this.writeBatch(connection, batch);
      await this.options.beforeCommit?.();
      await connection.commit();
    } catch (error) {
      await connection?.rollback().catch(() => undefined);
      return classifySqlError(error, 'event store');
    } finally {
      connection?.release();
    }
    for (const outcome of outcomes) {
      if ('result' in outcome) outcome.append.resolve(outcome.result);
      else outcome.append.reject(outcome.error);
    }
    return null;
  }

  /**
   * Five statements per batch, whatever its size: START, one UPDATE that takes the head lock and reserves positions for
   * every event of the batch (LAST_INSERT_ID hands back the new head in the same round trip), one SELECT for the
   * streams' revisions and already stored event ids, one multi-row INSERT, COMMIT. Only when an append is refused is
   * the unused part of the reservation handed back, so positions stay gap-free.
   */
  private async writeBatch(connection: PoolConnection, batch: readonly QueuedAppend[]): Promise<Outcome[]> {
    const reserved = batch.reduce((n, append) => n + append.events.length, 0);
    const [head] = await connection.query<ResultSetHeader>(
      'UPDATE event_log_head SET last_position = LAST_INSERT_ID(last_position + ?) WHERE id = 1',
      [reserved],
    );
    const reservedUpTo = BigInt(String(head.insertId));
    let position = reservedUpTo - BigInt(reserved);
    const { revisions, stored } = await this.lookUp(connection, batch);

    const rows: unknown[][] = [];
    const outcomes: Outcome[] = [];
    for (const append of batch) {
      const { streamId, events, expected } = append;
      const places = events.map((e) => stored.get(e.metadata.eventId));
      if (places.every((p) => p !== undefined)) {
        outcomes.push(idempotentRetry(append, places));
        continue;
      }
      // Checked under the head lock, as late as possible: an append past its deadline is never written.
      if (expired(append)) {
        outcomes.push({ append, error: this.timedOut() });
        continue;
      }
      const current = revisions.get(streamId);
      if (places.some((p) => p !== undefined) || !matches(expected, current)) {
        outcomes.push({
          append,
          error: new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream'),
        });
        continue;
      }
      let revision = current ?? -1n;
      for (const event of events) {
        revision += 1n;
        position += 1n;
        rows.push([
          position.toString(),
          streamId,
          revision.toString(),
          event.metadata.eventId,
          event.type,
          event.schemaVersion,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        ]);
        stored.set(event.metadata.eventId, { streamId, revision, position });
      }
      revisions.set(streamId, revision);
      outcomes.push({ append, result: { nextExpectedRevision: revision, position } });
    }
    if (rows.length > 0)
      await connection.query(
        'INSERT INTO events (global_position, stream_id, stream_revision, event_id, event_type, schema_version, data, metadata) VALUES ?',
        [rows],
      );
    if (position !== reservedUpTo)
      await connection.query('UPDATE event_log_head SET last_position = ? WHERE id = 1', [
        position.toString(),
      ]);
    return outcomes;
  }

  /** Under the head lock: each stream's current revision, and which of the batch's events are already stored. */
  private async lookUp(
    connection: PoolConnection,
    batch: readonly QueuedAppend[],
  ): Promise<{ revisions: Map<string, bigint>; stored: Map<string, StoredPlace> }> {
    const streamIds = [...new Set(batch.map((a) => a.streamId))];
    const eventIds = batch.flatMap((a) => a.events.map((e) => e.metadata.eventId));
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT 'revision' AS kind, stream_id, MAX(stream_revision) AS stream_revision, NULL AS event_id,
         NULL AS global_position FROM events WHERE stream_id IN (?) GROUP BY stream_id
       UNION ALL
       SELECT 'stored', stream_id, stream_revision, event_id, global_position FROM events WHERE event_id IN (?)`,
      [streamIds, eventIds],
    );
    const revisions = new Map<string, bigint>();
    const stored = new Map<string, StoredPlace>();
    for (const r of rows) {
      const streamId = String(r.stream_id);
      const revision = BigInt(String(r.stream_revision));
      if (r.kind === 'revision') revisions.set(streamId, revision);
      else
        stored.set(String(r.event_id), {
          streamId,
          revision,
          position: BigInt(String(r.global_position)),
        });
    }
    return { revisions, stored };
  }
}

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

/** The same events again, stored consecutively in the same stream: answer as the first append was answered. */
const idempotentRetry = (append: QueuedAppend, places: readonly (StoredPlace | undefined)[]): Outcome => {
  const stored = places as readonly StoredPlace[];
  const last = stored[stored.length - 1];
  const consecutive = stored.every(
    (p, i) =>
      p.streamId === append.streamId && (i === 0 || p.revision === (stored[i - 1]?.revision ?? -1n) + 1n),
  );
  if (!last || !consecutive)
    return {
      append,
      error: new WrongExpectedRevisionError(append.streamId, append.expected, last?.revision ?? 'no_stream'),
    };
  return { append, result: { nextExpectedRevision: last.revision, position: last.position } };
};

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

const toRecordedEvent = (row: RowDataPacket): RecordedEvent => ({
  streamId: String(row.stream_id),
  revision: BigInt(String(row.stream_revision)),
  position: BigInt(String(row.global_position)),
  type: String(row.event_type),
  schemaVersion: Number(row.schema_version),
  data: parseJson(row.data),
  metadata: parseJson(row.metadata) as EventMetadata,
  recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(String(row.recorded_at)),
});
