import type { RecordedEvent } from '../commands/event-store-port';

export interface BusMessage {
  /** The bus's own id of this delivery, for ack. */
  readonly id: string;
  readonly event: RecordedEvent;
}

/** A consumer in a group: at-least-once, redelivering what a crashed member held, dead-lettering poison messages. */
export interface BusConsumer {
  /** Up to `max` messages: first those this consumer or a dead one still holds, then new ones (waits up to `waitMs`). */
  receive(max: number, waitMs: number): Promise<BusMessage[]>;
  ack(messages: readonly BusMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface EventBus {
  /** Publishes in order; resolves once the bus has stored every message. */
  publish(events: readonly RecordedEvent[]): Promise<void>;
  consumer(group: string, consumerName: string): Promise<BusConsumer>;
}
