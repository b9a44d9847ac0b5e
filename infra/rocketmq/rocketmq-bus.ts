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
  /** Every partition reader open now, to move on a live endpoint change. */
  private readonly readers = new Set<RocketMqConsumer>();
  /** Publishes in flight per producer: a replaced producer shuts down once its own are done. */
  private readonly publishing = new Map<Producer, number>();

  constructor(
    private options: RocketMqBusOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Moves the bus to other proxy endpoints or credentials (live configuration: COUPONKILL_ROCKETMQ_ENDPOINTS, the
   * access key and secret). A producer of the new endpoints must start first, else this rejects and nothing changed;
   * then publishes go to it, every open partition reader reopens there (what it held unacked is delivered again,
   * applied once in effect), and the old producer shuts down once its sends are done. Nothing is lost: a publish in
   * flight on the old producer either was acknowledged or fails and is retried by the relay from its checkpoint.
   */
  async reconnect(endpoints: string, credentials: RocketMqBusOptions['credentials']): Promise<void> {
    const options = { ...this.options, endpoints, credentials };
    const producer = await startClient(() => this.newProducer(options));
    const old = this.producer;
    this.options = options;
    this.producer = Promise.resolve(producer);
    const results = await Promise.allSettled([...this.readers].map((reader) => reader.reopen(options)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed)
      this.logger.warn(
        { err: failed.reason as unknown },
        'a partition reader could not reopen on the new endpoints; it tries again on its next receive',
      );
    const replaced = await old?.catch(() => undefined);
    // Its sends end within the request timeout (the client's retries included); a send cut by the shutdown fails,
    // and the relay sends its batch again from its checkpoint.
    const deadline = Date.now() + 10_000;
    while (replaced && this.publishing.has(replaced) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await replaced?.shutdown().catch(() => undefined);
  }

  async publish(batch: readonly PartitionMessages[]): Promise<void> {
    if (batch.length === 0) return;
    const producer = await this.startedProducer();
    this.publishing.set(producer, (this.publishing.get(producer) ?? 0) + 1);
    try {
      await this.send(producer, batch);
    } finally {
      const left = (this.publishing.get(producer) ?? 1) - 1;
      if (left === 0) this.publishing.delete(producer);
      else this.publishing.set(producer, left);
    }
  }

  private async send(producer: Producer, batch: readonly PartitionMessages[]): Promise<void> {
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
    const merged = new MergedConsumer(started, () => {
      this.consumers.delete(merged);
      for (const reader of started) this.readers.delete(reader);
    });
    this.consumers.add(merged);
    for (const reader of started) this.readers.add(reader);
    return merged;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    const producer = await this.producer?.catch(() => undefined);
    this.producer = undefined;
    await producer?.shutdown();
  }

  private newProducer(options: RocketMqBusOptions): Producer {
    return new Producer({
      ...clientSettings(options),
      // Routes of the partition topics are fetched on first send: a deployment may provision only some.
      topics: [options.deadLetterTopic],
      logger: rocketMqLogger(this.logger),
    });
  }

  private startedProducer(): Promise<Producer> {
    this.producer ??= startClient(() => this.newProducer(this.options));
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }
}
