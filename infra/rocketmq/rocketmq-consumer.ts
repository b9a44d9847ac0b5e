import { SimpleConsumer, type MessageView, type Producer } from 'rocketmq-client-nodejs';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import type { RecordedEvent } from '../../commands/event-store-port';
import type { Logger } from '../../commands/logger-port';
import type { BusConsumer, BusMessage, SequencedEvent } from '../../projections/event-bus-port';
import { decodeSequenced } from '../messaging/sequenced-event-codec';
import { rocketMqLogger } from './rocketmq-logger';
import { clientSettings, type RocketMqBusOptions } from './rocketmq-options';
import { startClient } from './start-client';

/** The proxy hands out at most this many messages per receive. */
const MAX_BATCH = 32;
/** A released message becomes visible again this soon (the proxy's smallest allowed change is about a second). */
const RELEASE_AFTER_MS = 1000;

/** Which partition a consumer reads: its topic and its group. */
export interface PartitionSubscription {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/**
 * The reader of one partition: the one member of its orderly consumer group. What it received stays invisible for
 * `invisibleMs`; unacked (a crash, a failed batch, a fenced writer) it is delivered again, to whichever replica owns
 * the partition by then. After `maxDeliveries` it is moved to the dead-letter topic, logged with its event id, and
 * acknowledged, so the stream behind it moves on.
 */
export class RocketMqConsumer implements BusConsumer {
  private readonly held = new Map<string, MessageView>();
  private closed = false;
  /** The options a live change asked for, when the client could not be reopened with them yet. */
  private wanted: RocketMqBusOptions | null = null;

  private constructor(
    private client: SimpleConsumer,
    private readonly subscription: PartitionSubscription,
    private options: RocketMqBusOptions,
    private readonly producer: () => Promise<Producer>,
    private readonly logger: Logger,
  ) {}

  static async start(
    subscription: PartitionSubscription,
    options: RocketMqBusOptions,
    producer: () => Promise<Producer>,
    logger: Logger,
  ): Promise<RocketMqConsumer> {
    const client = await RocketMqConsumer.client(subscription, options, logger);
    return new RocketMqConsumer(client, subscription, options, producer, logger);
  }

  private static client(
    { group, topic }: PartitionSubscription,
    options: RocketMqBusOptions,
    logger: Logger,
  ): Promise<SimpleConsumer> {
    return startClient(
      () =>
        new SimpleConsumer({
          ...clientSettings(options),
          consumerGroup: group,
          subscriptions: new Map([[topic, '*']]),
          awaitDuration: options.awaitMs,
          // Failed receives are thrown to the projector, which logs them with its back-off.
          logger: { ...rocketMqLogger(logger), error: () => undefined },
        }),
    );
  }

  /**
   * Moves this reader to other proxy endpoints or credentials (live configuration): a client of the new ones starts
   * first (rejects, leaving this one as it was, when it cannot), then the old one hands back what it held unacked and
   * shuts down. Those messages are delivered again, and applied once in effect (invariant 6).
   */
  async reopen(options: RocketMqBusOptions): Promise<void> {
    if (this.closed) return;
    this.wanted = options;
    const client = await RocketMqConsumer.client(this.subscription, options, this.logger);
    this.wanted = null;
    const old = this.client;
    const held = [...this.held.values()];
    this.held.clear();
    this.client = client;
    this.options = options;
    await Promise.allSettled(held.map((view) => old.changeInvisibleDuration(view, RELEASE_AFTER_MS)));
    await old.shutdown().catch(() => undefined);
  }

  /** Waits as long as the client's long poll (`awaitMs`), whatever `waitMs` asks. */
  async receive(max: number): Promise<BusMessage[]> {
    if (this.closed) return [];
    let views: MessageView[];
    try {
      views = await this.client.receive(Math.min(max, MAX_BATCH), this.options.invisibleMs);
    } catch (error) {
      // Still on endpoints a live change moved away from: try the new ones again before the next receive.
      if (this.wanted) await this.reopen(this.wanted).catch(() => undefined);
      throw new DependencyUnavailableError('RocketMQ', error);
    }
    const messages: BusMessage[] = [];
    for (const view of views) {
      let message: SequencedEvent | null = null;
      try {
        message = decodeSequenced(view.body.toString());
      } catch {
        // Nothing but the relay writes these topics: a message that does not decode is set aside, never retried.
      }
      if (message === null || (view.deliveryAttempt ?? 1) > this.options.maxDeliveries)
        await this.deadLetter(view);
      else {
        this.held.set(view.messageId, view);
        messages.push({ id: view.messageId, partition: this.subscription.partition, ...message });
      }
    }
    return messages;
  }

  async ack(messages: readonly BusMessage[]): Promise<void> {
    const results = await Promise.allSettled(
      messages.map(async ({ id }) => {
        const view = this.held.get(id);
        if (!view) return;
        await this.client.ack(view);
        this.held.delete(id);
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw new DependencyUnavailableError('RocketMQ', failed.reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Hand back what was received and not acknowledged, so the group need not wait out the invisible time.
    await Promise.allSettled(
      [...this.held.values()].map((view) => this.client.changeInvisibleDuration(view, RELEASE_AFTER_MS)),
    );
    this.held.clear();
    await this.client.shutdown().catch(() => undefined);
  }

  private async deadLetter(view: MessageView): Promise<void> {
    const { group } = this.subscription;
    let event: RecordedEvent | null = null;
    try {
      ({ event } = decodeSequenced(view.body.toString()));
    } catch {
      // Set aside all the same, and logged without its event.
    }
    try {
      const producer = await this.producer();
      await producer.send({
        topic: this.options.deadLetterTopic,
        body: view.body,
        ...(event ? { tag: event.type, keys: [event.metadata.eventId] } : {}),
        properties: new Map([
          ['group', group],
          ['originalMessageId', view.messageId],
          ['deliveries', String(view.deliveryAttempt ?? 0)],
        ]),
      });
      await this.client.ack(view);
    } catch (error) {
      throw new DependencyUnavailableError('RocketMQ', error);
    }
    this.logger.error(
      {
        group,
        busId: view.messageId,
        eventId: event?.metadata.eventId,
        position: event?.position.toString(),
        deliveries: view.deliveryAttempt,
      },
      'message dead-lettered after repeated failures',
    );
  }
}
