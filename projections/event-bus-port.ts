import type { RecordedEvent } from '../commands/event-store-port';
import type { ProjectionName } from './projection';

/**
 * One message of a partition's sequence, as the relay published it: an event, or (event null) a watermark saying the
 * partition holds nothing more up to `position`. `previous` is the position of the partition's message published
 * just before (0n for the first). A bus may deliver a partition's messages out of order or again; these links let a
 * consumer know when it has seen everything of the partition up to a position (checkpoint-frontier.ts).
 */
export interface SequencedEvent {
  readonly position: bigint;
  readonly previous: bigint;
  readonly event: RecordedEvent | null;
}

export interface BusMessage extends SequencedEvent {
  /** The bus's own id of this delivery, for ack. */
  readonly id: string;
  readonly partition: number;
}

/** What the relay publishes for one partition of one projection in a batch, in order. */
export interface PartitionMessages {
  readonly projection: ProjectionName;
  readonly partition: number;
  readonly messages: readonly SequencedEvent[];
}

/**
 * A consumer of some partitions of one projection: at-least-once, redelivering what a crashed member held,
 * dead-lettering poison messages.
 */
export interface BusConsumer {
  /**
   * Up to `max` messages of its partitions: first those a previous holder of the partition left unacknowledged,
   * then new ones (waits up to `waitMs`).
   */
  receive(max: number, waitMs: number): Promise<BusMessage[]>;
  ack(messages: readonly BusMessage[]): Promise<void>;
  /** Stops receiving; what was received and not acknowledged is handed back for redelivery. */
  close(): Promise<void>;
}

export interface EventBus {
  /** Publishes one relay batch, each partition's messages in order; resolves once the bus has stored every one. */
  publish(batch: readonly PartitionMessages[]): Promise<void>;
  /**
   * A consumer of these partitions of a projection's stream. Only one replica consumes a partition at a time (the
   * projector's partition leases decide which): the bus gives it what any earlier holder left unacknowledged.
   */
  consumer(
    projection: ProjectionName,
    partitions: readonly number[],
    consumerName: string,
  ): Promise<BusConsumer>;
  close(): Promise<void>;
}

/** Links one partition's events in order, the first to `previous`. */
export const sequence = (events: readonly RecordedEvent[], previous: bigint): SequencedEvent[] => {
  let before = previous;
  return events.map((event) => {
    const linked = { position: event.position, previous: before, event };
    before = event.position;
    return linked;
  });
};
