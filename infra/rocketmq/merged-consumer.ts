import type { BusConsumer, BusMessage } from '../../projections/event-bus-port';

interface Pending {
  readonly consumer: BusConsumer;
  result: Promise<void>;
  settled: boolean;
  messages: BusMessage[];
  error: Error | undefined;
}

/**
 * The partitions a replica owns, read as one: every partition's consumer keeps one long-polling receive in flight,
 * and a receive returns as soon as any of them brings messages (with whatever the others brought by then), so an
 * idle partition never delays a busy one. Acks go to the consumer that received the message.
 */
export class MergedConsumer implements BusConsumer {
  private readonly pending = new Map<BusConsumer, Pending>();
  private readonly source = new Map<string, BusConsumer>();
  private closed = false;

  constructor(
    private readonly consumers: readonly BusConsumer[],
    private readonly onClose: () => void,
  ) {}

  async receive(max: number, waitMs: number): Promise<BusMessage[]> {
    if (this.closed || this.consumers.length === 0) return [];
    for (const consumer of this.consumers)
      if (!this.pending.has(consumer)) this.pending.set(consumer, this.start(consumer, max, waitMs));
    await Promise.race([...this.pending.values()].map((p) => p.result));
    const messages: BusMessage[] = [];
    let error: Error | undefined;
    for (const [consumer, p] of this.pending) {
      if (!p.settled) continue;
      this.pending.delete(consumer);
      error ??= p.error;
      for (const message of p.messages) {
        this.source.set(message.id, consumer);
        messages.push(message);
      }
    }
    if (messages.length === 0 && error !== undefined) throw error;
    return messages;
  }

  async ack(messages: readonly BusMessage[]): Promise<void> {
    const byConsumer = new Map<BusConsumer, BusMessage[]>();
    for (const message of messages) {
      const consumer = this.source.get(message.id);
      if (!consumer) continue;
      const share = byConsumer.get(consumer);
      if (share) share.push(message);
      else byConsumer.set(consumer, [message]);
    }
    await Promise.all([...byConsumer].map(([consumer, share]) => consumer.ack(share)));
    for (const message of messages) this.source.delete(message.id);
  }

  /** Waits for the receives in flight (one long poll at most), so what they bring is handed back, not stranded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    await Promise.all([...this.pending.values()].map((p) => p.result));
    await Promise.all(this.consumers.map((consumer) => consumer.close()));
  }

  private start(consumer: BusConsumer, max: number, waitMs: number): Pending {
    const pending: Pending = {
      consumer,
      settled: false,
      messages: [],
      error: undefined,
      result: Promise.resolve(),
    };
    pending.result = consumer.receive(max, waitMs).then(
      (messages) => {
        pending.messages = messages;
        pending.settled = true;
      },
      (error: unknown) => {
        pending.error = error instanceof Error ? error : new Error('receive failed', { cause: error });
        pending.settled = true;
      },
    );
    return pending;
  }
}
