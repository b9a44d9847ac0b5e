import { Producer } from 'rocketmq-client-nodejs';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import type { Logger } from '../../commands/logger-port';
import type {
  BusConsumer,
  EventBus,
  PartitionMessages,
  SequencedEvent,
} from '../../projections/event-bus-port';
import type { ProjectionName } from '../../projections/projection';
import { encodeSequenced } from '../messaging/sequenced-event-codec';
import { rocketMqLogger } from './rocketmq-logger';
import { clientSettings, groupOf, topicOf, type RocketMqBusOptions } from './rocketmq-options';
import { RocketMqConsumer } from './rocketmq-consumer';
import { MergedConsumer } from './merged-consumer';
import { startClient } from './start-client';

/** Chains sent side by side; each chain's own messages go one after another to keep their order. */
const PARALLEL_CHAINS = 64;

/** Watermarks are a message group of their own: they never wait behind, or hold up, an event stream. */
const WATERMARK_GROUP = '~watermark';

interface Chain {
  readonly topic: string;
  readonly messages: SequencedEvent[];
}

/**
 * The production bus: one FIFO topic per projection and partition (`topicOf`), message group = the event's stream
 * (so a stream is delivered in order), key = the event id. A batch is stored once every send was acknowledged by the
 * broker. A projector replica reads its partitions through one orderly group each (`groupOf`); the projector's
 * leases, not RocketMQ's assignment, decide which replica that is.
 */
export class RocketMqBus implements EventBus {
  private producer: Promise<Producer> | undefined;
  private readonly consumers = new Set<BusConsumer>();

  constructor(
    private readonly options: RocketMqBusOptions,
    private readonly logger: Logger,
  ) {}

  async publish(batch: readonly PartitionMessages[]): Promise<void> {
    if (batch.length === 0) return;
    const producer = await this.startedProducer();
    const chains = new Map<string, Chain>();
    for (const { projection, partition, messages } of batch) {
      const topic = topicOf(this.options, projection, partition);
      for (const message of messages) {
        const group = message.event?.streamId ?? WATERMARK_GROUP;
        const key = `${topic}\n${group}`;
        const chain = chains.get(key);
        if (chain) chain.messages.push(message);
        else chains.set(key, { topic, messages: [message] });
      }
    }
    const sendChain = async ({ topic, messages }: Chain): Promise<void> => {
      for (const message of messages)
        await producer.send({
          topic,
          body: Buffer.from(encodeSequenced(message)),
          ...(message.event
            ? {
                tag: message.event.type,
                keys: [message.event.metadata.eventId],
                messageGroup: message.event.streamId,
              }
            : { tag: 'watermark', messageGroup: WATERMARK_GROUP }),
        });
    };
    const all = [...chains.values()];
    try {
      for (let i = 0; i < all.length; i += PARALLEL_CHAINS)
        await Promise.all(all.slice(i, i + PARALLEL_CHAINS).map(sendChain));
    } catch (error) {
      throw new DependencyUnavailableError('RocketMQ', error);
    }
  }

  async consumer(projection: ProjectionName, partitions: readonly number[]): Promise<BusConsumer> {
    const started: RocketMqConsumer[] = [];
    try {
      // Side by side: a replica that takes over many partitions starts all their clients at once.
      const results = await Promise.allSettled(
        partitions.map((partition) =>
          RocketMqConsumer.start(
            {
              group: groupOf(this.options, projection, partition),
              topic: topicOf(this.options, projection, partition),
              partition,
            },
            this.options,
            () => this.startedProducer(),
            this.logger,
          ),
        ),
      );
      for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (error) {
      await Promise.all(started.map((c) => c.close()));
      throw error;
    }
    const merged = new MergedConsumer(started, () => this.consumers.delete(merged));
    this.consumers.add(merged);
    return merged;
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
          // Routes of the partition topics are fetched on first send: a deployment may provision only some.
          topics: [this.options.deadLetterTopic],
          logger: rocketMqLogger(this.logger),
        }),
    );
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }
}
