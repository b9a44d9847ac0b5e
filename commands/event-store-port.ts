import type { EventMetadata } from '../domain/shared/event';
import { CircuitOpenError } from './dependency-error';
import { OverloadedError } from './overloaded-error';

/** `no_stream`: must not exist; `stream_exists`: must exist; a bigint: the revision of the stream's last event. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventToAppend {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface AppendOptions {
  /**
   * Epoch ms after which the append must not be stored at all: it either commits before then or fails (the MySQL
   * store: AppendDeadlineError, nothing written; EventStoreDB: DependencyUnavailableError, outcome unknown). Whoever waits on it (a gate recovery that lost its pending reservations) then knows
   * nothing reserved before can still land later. The MySQL store enforces it under its head lock; EventStoreDB
   * gets it as the call's gRPC deadline, which bounds the client's wait but not the server's commit.
   */
  readonly deadlineMs?: number;
}

export interface AppendResult {
  /** Revision of the last event appended (the expected revision for the next append). */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event appended: a consistency token for reads. */
  readonly position: bigint;
}

export interface RecordedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

/**
 * A point in the global log. `prepare` matters to EventStoreDB (a catch-up subscription must resume from both); in
 * the MySQL store it equals `commit`. `commit` is what RecordedEvent.position carries.
 */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START_OF_LOG: LogPosition = { commit: 0n, prepare: 0n };

/** Events a catch-up subscription delivers together, and where to resume once they are handled. */
export interface CatchUpBatch {
  readonly events: readonly RecordedEvent[];
  readonly resumeFrom: LogPosition;
}

export interface EventStore {
  /**
   * Appends atomically under optimistic concurrency. Appending events whose ids are already stored in that stream at
   * the same place is an idempotent success that returns the original result. An append the store cannot take now is
   * refused at once, unsent (see `admitAppend`).
   */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Events of one stream in revision order; a missing stream reads as empty. A stream id the store cannot hold
   * rejects with InvalidInputError (that caller only), an outage with DependencyUnavailableError.
   */
  readStream(streamId: string): Promise<RecordedEvent[]>;
  /** Up to `maxCount` events after `afterPosition` (exclusive; 0n reads from the start), in global order, gap-free. */
  readAll(afterPosition: bigint, maxCount: number): Promise<RecordedEvent[]>;
  /**
   * Catch-up subscription: every event after `after` (exclusive), in global order, in batches of at most `maxBatch`,
   * then new events as they are committed, until `signal` aborts (the iteration then ends) or the connection fails
   * (the iteration throws; resubscribe from the last `resumeFrom` handled).
   */
  subscribeAll(after: LogPosition, maxBatch: number, signal: AbortSignal): AsyncIterable<CatchUpBatch>;
  /**
   * Throws, at once and without I/O, what an append started now would be refused with before anything is sent:
   * OverloadedError while the store's append queue is full, CircuitOpenError while its circuit breaker is open.
   * A caller with costly work to do before its append (a seckill takes a unit of stock first) asks here, so that the
   * work is not done for an append that cannot happen. Returns when an append would be tried.
   */
  admitAppend(): void;
  /** Position of the newest event (0n when empty). */
  headPosition(): Promise<bigint>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * An append that reached its deadline (AppendOptions.deadlineMs) waiting in the store's queue, before it was written:
 * it is not stored and never will be. The store is slower than the traffic, not down, so no circuit breaker counts it
 * as an outage, and whatever was done for it may be undone at once (refusedUnsent): 503 OVERLOADED with Retry-After.
 */
export class AppendDeadlineError extends OverloadedError {
  constructor(retryAfterSeconds: number) {
    super('event store append queue', retryAfterSeconds);
    this.name = 'AppendDeadlineError';
    this.message = `the append waited past its deadline and was not stored; retry in ${retryAfterSeconds} s`;
  }
}

/**
 * True for an append refused before anything of it was written (a full queue, an open circuit breaker, a deadline
 * reached in the queue): it can never be stored later, so whatever was done for it may be undone at once, without
 * fencing its stream.
 */
export const refusedUnsent = (error: unknown): boolean =>
  error instanceof OverloadedError || error instanceof CircuitOpenError;
