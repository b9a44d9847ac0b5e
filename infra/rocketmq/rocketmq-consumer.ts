import { SimpleConsumer, type MessageView, type Producer } from 'rocketmq-client-nodejs';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import type { Logger } from '../../commands/logger-port';
import type { BusConsumer, BusMessage } from '../../projections/event-bus-port';
import { decodeSequenced } from '../messaging/sequenced-event-codec';
import { rocketMqLogger } from './rocketmq-logger';
import { clientSettings, type RocketMqBusOptions } from './rocketmq-options';
import { startClient } from './start-client';

/** The proxy hands out at most this many messages per receive. */
const MAX_BATCH = 32;
/** A released message becomes visible again this soon (the proxy's smallest allowed change is about a second). */
const RELEASE_AFTER_MS = 1000;

/**
 * One member of an orderly consumer group. What it received stays invisible to the group for `invisibleMs`; unacked
 * (a crash, a failed batch) it is delivered again, to any member. After `maxDeliveries` it is moved to the
 * dead-letter topic, logged with its event id, and acknowledged, so the stream behind it moves on.
 */
export class RocketMqConsumer implements BusConsumer {
  private readonly held = new Map<string, MessageView>();
  private closed = false;

  private constructor(
    private readonly client: SimpleConsumer,
    private readonly group: string,
    private readonly options: RocketMqBusOptions,
    private readonly producer: () => Promise<Producer>,
    private readonly logger: Logger,
    private readonly onClose: () => void,
  ) {}

  static async start(
    group: string,
    consumerName: string,
    options: RocketMqBusOptions,
    producer: () => Promise<Producer>,
    logger: Logger,
    onClose: () => void,
  ): Promise<RocketMqConsumer> {
    const client = await startClient(
      () =>
        new SimpleConsumer({
          ...clientSettings(options),
          consumerGroup: group,
          subscriptions: new Map([[options.topic, '*']]),
          awaitDuration: options.awaitMs,
          // Failed receives are thrown to the projector, which logs them with its back-off.
          logger: { ...rocketMqLogger(logger), error: () => undefined },
        }),
    );
    logger.info({ group, consumerName, clientId: client.clientId }, 'RocketMQ consumer started');
    return new RocketMqConsumer(client, group, options, producer, logger, onClose);
  }

  /** Waits as long as the client's long poll (`awaitMs`), whatever `waitMs` asks. */
  async receive(max: number): Promise<BusMessage[]> {
    if (this.closed) return [];
    let views: MessageView[];
    try {
      views = await this.client.receive(Math.min(max, MAX_BATCH), this.options.invisibleMs);
    } catch (error) {
      throw new DependencyUnavailableError('RocketMQ', error);
    }
    const messages: BusMessage[] = [];
    for (const view of views) {
      if ((view.deliveryAttempt ?? 1) > this.options.maxDeliveries) await this.deadLetter(view);
      else {
        this.held.set(view.messageId, view);
        messages.push({ id: view.messageId, ...decodeSequenced(view.body.toString()) });
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
    this.onClose();
    // Hand back what was received and not acknowledged, so the group need not wait out the invisible time.
    await Promise.allSettled(
      [...this.held.values()].map((view) => this.client.changeInvisibleDuration(view, RELEASE_AFTER_MS)),
    );
    this.held.clear();
    await this.client.shutdown().catch(() => undefined);
  }

  private async deadLetter(view: MessageView): Promise<void> {
    const { event } = decodeSequenced(view.body.toString());
    try {
      const producer = await this.producer();
      await producer.send({
        topic: this.options.deadLetterTopic,
        body: view.body,
        tag: event.type,
        keys: [event.metadata.eventId],
        properties: new Map([
          ['group', this.group],
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
        group: this.group,
        busId: view.messageId,
        eventId: event.metadata.eventId,
        position: event.position.toString(),
        deliveries: view.deliveryAttempt,
      },
      'message dead-lettered after repeated failures',
    );
  }
}
