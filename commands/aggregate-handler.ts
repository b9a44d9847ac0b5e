import { fold, type Decider, type DomainEvent } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type RecordedEvent,
} from './event-store-port';
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

const MAX_CONFLICT_RETRIES = 3;

/**
 * Read → fold → decide → append with the expected revision, retrying a few times when another writer got there
 * first (the decision is re-made on the fresh state, so rules are never checked against stale data).
 */
export class AggregateHandler<Command, Event extends DomainEvent, State> {
  constructor(
    private readonly store: EventStore,
    private readonly aggregate: AggregateType<Command, Event, State>,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async load(streamId: string): Promise<Loaded<State>> {
    const events = await this.store.readStream(streamId);
    const state = fold(this.aggregate.decider, this.aggregate.decode(events));
    const last = events.at(-1);
    return { state, revision: last ? last.revision : null, events };
  }

  async handle(streamId: string, command: Command, context: CommandContext): Promise<Handled<State, Event>> {
    const { decider } = this.aggregate;
    for (let attempt = 0; ; attempt++) {
      const { state, revision } = await this.load(streamId);
      const newEvents = decider.decide(command, state);
      const toAppend = withMetadata(newEvents, context, this.clock.now(), () => this.ids.newId());
      try {
        const append = await this.store.append(streamId, toAppend, revision ?? 'no_stream');
        const next = newEvents.reduce((s, e) => decider.evolve(s, e), state);
        return { state: next, newEvents, append };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }
}
