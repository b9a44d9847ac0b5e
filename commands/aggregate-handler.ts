import { setTimeout as sleep } from 'node:timers/promises';
import { fold, type Decider, type DomainEvent } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type RecordedEvent,
} from './event-store-port';
import { ConcurrencyConflictError } from './concurrency-conflict-error';
import type { IdGenerator } from './id-generator-port';

export interface Loaded<State> {
  readonly state: State;
  /** Revision of the last event, or null for a stream that does not exist. */
  readonly revision: bigint | null;
  readonly events: readonly RecordedEvent[];
}

export interface Handled<State, Event> {
  readonly state: State;
  readonly newEvents: readonly Event[];
  readonly append: AppendResult;
}

/** An aggregate's decider and how its stream's stored events decode (stored-events.ts). */
export interface AggregateType<Command, Event extends DomainEvent, State> {
  readonly decider: Decider<Command, Event, State>;
  readonly decode: (recorded: readonly RecordedEvent[]) => Event[];
}

/** How an aggregate's command handler retries after losing a race for its stream. */
export interface ConflictRetry {
  readonly attempts: number;
  /** Back-off before retry n (1-based) is a random delay in [0, min(capMs, baseMs × 2^n)] ("full jitter"). */
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * Up to 10 attempts within about two seconds. Writers racing on one stream mostly get through; measured with 50 admins
 * adding stock to one coupon at once, some still answer 409 CONCURRENCY_CONFLICT (test/concurrency-conflicts.int.ts).
 */
export const DEFAULT_CONFLICT_RETRY: ConflictRetry = { attempts: 10, baseMs: 10, capMs: 400 };

/**
 * Read → fold → decide → append with the expected revision. When another writer got there first, the decision is
 * re-made on the fresh state (rules are never checked against stale data) after a jittered exponential back-off, so
 * racing writers spread out instead of colliding again; when the attempts run out, ConcurrencyConflictError, with
 * nothing written.
 */
export class AggregateHandler<Command, Event extends DomainEvent, State> {
  constructor(
    private readonly store: EventStore,
    private readonly aggregate: AggregateType<Command, Event, State>,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly retry: ConflictRetry = DEFAULT_CONFLICT_RETRY,
  ) {}

  async load(streamId: string): Promise<Loaded<State>> {
    const events = await this.store.readStream(streamId);
    const state = fold(this.aggregate.decider, this.aggregate.decode(events));
    const last = events.at(-1);
    return { state, revision: last ? last.revision : null, events };
  }

  async handle(streamId: string, command: Command, context: CommandContext): Promise<Handled<State, Event>> {
    const { decider } = this.aggregate;
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.load(streamId);
      const newEvents = decider.decide(command, state);
      const toAppend = withMetadata(newEvents, context, this.clock.now(), () => this.ids.newId());
      try {
        const append = await this.store.append(streamId, toAppend, revision ?? 'no_stream');
        const next = newEvents.reduce((s, e) => decider.evolve(s, e), state);
        return { state: next, newEvents, append };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= this.retry.attempts) throw new ConcurrencyConflictError(streamId, attempt);
        await sleep(Math.random() * Math.min(this.retry.capMs, this.retry.baseMs * 2 ** attempt));
      }
    }
  }
}
