import { Producer } from 'rocketmq-client-nodejs';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import type { RecordedEvent } from '../../commands/event-store-port';
import type { Logger } from '../../commands/logger-port';
import {
  sequence,
  type BusConsumer,
  type EventBus,
  type SequencedEvent,
} from '../../projections/event-bus-port';
import { encodeSequenced } from '../messaging/sequenced-event-codec';
import { rocketMqLogger } from './rocketmq-logger';
import { clientSettings, type RocketMqBusOptions } from './rocketmq-options';
import { RocketMqConsumer } from './rocketmq-consumer';
import { startClient } from './start-client';

/** Streams sent side by side; each stream's own messages go one after another to keep their order. */
const PARALLEL_STREAMS = 64;

/**
 * The production bus: one FIFO topic, message group = the event's stream (so each stream is delivered in order),
 * key = the event id. A batch is stored once every send was acknowledged by the broker.
 */
export class RocketMqBus implements EventBus {
  private producer: Promise<Producer> | undefined;
  private readonly consumers = new Set<RocketMqConsumer>();

  constructor(
    private readonly options: RocketMqBusOptions,
    private readonly logger: Logger,
  ) {}

  async publish(events: readonly RecordedEvent[], previous: bigint): Promise<void> {
    if (events.length === 0) return;
    const producer = await this.startedProducer();
    const byStream = new Map<string, SequencedEvent[]>();
    for (const linked of sequence(events, previous)) {
      const chain = byStream.get(linked.event.streamId);
      if (chain) chain.push(linked);
      else byStream.set(linked.event.streamId, [linked]);
    }
    const chains = [...byStream.values()];
    const sendChain = async (chain: readonly SequencedEvent[]): Promise<void> => {
      for (const linked of chain)
        await producer.send({
          topic: this.options.topic,
          body: Buffer.from(encodeSequenced(linked)),
          tag: linked.event.type,
          keys: [linked.event.metadata.eventId],
          messageGroup: linked.event.streamId,
        });
    };
    try {
      for (let i = 0; i < chains.length; i += PARALLEL_STREAMS)
        await Promise.all(chains.slice(i, i + PARALLEL_STREAMS).map(sendChain));
    } catch (error) {
      throw new DependencyUnavailableError('RocketMQ', error);
    }
  }

  async consumer(group: string, consumerName: string): Promise<BusConsumer> {
    const consumer = await RocketMqConsumer.start(
      `${this.options.groupPrefix}-${group}`,
      consumerName,
      this.options,
      () => this.startedProducer(),
      this.logger,
      () => this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    const producer = await this.producer?.catch(() => undefined);
    this.producer = undefined;
    await producer?.shutdown();
  }

  private startedProducer(): Promise<Producer> {
    this.producer ??= startClient(
      () =>
        new Producer({
          ...clientSettings(this.options),
          topics: [this.options.topic, this.options.deadLetterTopic],
          logger: rocketMqLogger(this.logger),
        }),
    );
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }
}
