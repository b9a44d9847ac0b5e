import type { RecordedEvent } from '../commands/event-store-port';

/**
 * An event as the relay published it: `previous` is the position of the event it published just before (0n for the
 * first). A bus may deliver streams out of global order; these links let a consumer know when it has seen everything
 * up to a position.
 */
export interface SequencedEvent {
  readonly event: RecordedEvent;
  readonly previous: bigint;
}

export interface BusMessage extends SequencedEvent {
  /** The bus's own id of this delivery, for ack. */
  readonly id: string;
}

/** A consumer in a group: at-least-once, redelivering what a crashed member held, dead-lettering poison messages. */
export interface BusConsumer {
  /** Up to `max` messages: first those this consumer or a dead one still holds, then new ones (waits up to `waitMs`). */
  receive(max: number, waitMs: number): Promise<BusMessage[]>;
  ack(messages: readonly BusMessage[]): Promise<void>;
  /** Stops receiving; what was received and not acknowledged is handed back for redelivery. */
  close(): Promise<void>;
}

export interface EventBus {
  /**
   * Publishes in global order (`previous` = position of the event published before `events[0]`), keeping each
   * stream's order; resolves once the bus has stored every message.
   */
  publish(events: readonly RecordedEvent[], previous: bigint): Promise<void>;
  consumer(group: string, consumerName: string): Promise<BusConsumer>;
  close(): Promise<void>;
}

/** Links each event to the one published before it. */
export const sequence = (events: readonly RecordedEvent[], previous: bigint): SequencedEvent[] => {
  let before = previous;
  return events.map((event) => {
    const linked = { event, previous: before };
    before = event.position;
    return linked;
  });
};
