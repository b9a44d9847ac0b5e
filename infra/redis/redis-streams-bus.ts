import type { Redis } from 'ioredis';
import type { Logger } from '../../commands/logger-port';
import type { BusConsumer, EventBus, PartitionMessages } from '../../projections/event-bus-port';
import type { ProjectionName } from '../../projections/projection';
import { encodeSequenced } from '../messaging/sequenced-event-codec';
import { RedisStreamsConsumer, type PartitionStream } from './redis-streams-consumer';

export interface RedisStreamsBusOptions {
  readonly prefix: string;
  /** A message held this long by a consumer that stopped answering is handed to the partition's owner. */
  readonly claimIdleMs: number;
  /** Deliveries after which a message goes to the dead-letter stream. */
  readonly maxDeliveries: number;
  /** Partitions of each projection's stream (COUPONKILL_PROJECTION_PARTITIONS). */
  readonly partitions: number;
  /** How often the relay trims what every consumer has acknowledged (ms). */
  readonly trimEveryMs: number;
}

/** The consumer group of a projection: one per projection, over all of its partition streams. */
export const groupOf = (projection: ProjectionName): string => `projector-${projection}`;

/**
 * The embedded bus: one Redis stream per projection and partition (`<prefix>:bus:<projection>:<p>of<P>`, so a
 * partition count change starts new streams instead of mixing two layouts), one consumer group per projection. The
 * group is made with the stream, at its start, so nothing is trimmed before its projector first reads. Redis keeps
 * what a consumer holds until it acks; the partition's new owner claims it (RedisStreamsConsumer).
 */
export class RedisStreamsBus implements EventBus {
  /** Streams whose group exists, and the projection of each. */
  private readonly grouped = new Map<string, ProjectionName>();
  private trimmedAt = Date.now();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: RedisStreamsBusOptions,
  ) {}

  streamOf(projection: ProjectionName, partition: number): string {
    return `${this.options.prefix}:bus:${projection}:${String(partition)}of${String(this.options.partitions)}`;
  }

  get deadLetterKey(): string {
    return `${this.options.prefix}:bus:dead`;
  }

  async publish(batch: readonly PartitionMessages[]): Promise<void> {
    if (batch.length === 0) return;
    await Promise.all(batch.map(({ projection, partition }) => this.ensureGroup(projection, partition)));
    const pipeline = this.redis.pipeline();
    for (const { projection, partition, messages } of batch)
      for (const message of messages)
        pipeline.xadd(this.streamOf(projection, partition), '*', 'e', encodeSequenced(message));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    if (Date.now() - this.trimmedAt >= this.options.trimEveryMs) {
      this.trimmedAt = Date.now();
      await this.trim().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not trim the bus streams; retrying later'),
      );
    }
  }

  /** The Redis connection belongs to the process; consumers close their own. */
  async close(): Promise<void> {
    await Promise.resolve();
  }

  async consumer(
    projection: ProjectionName,
    partitions: readonly number[],
    consumerName: string,
  ): Promise<BusConsumer> {
    await Promise.all(partitions.map((partition) => this.ensureGroup(projection, partition)));
    const streams: PartitionStream[] = partitions.map((partition) => ({
      partition,
      key: this.streamOf(projection, partition),
    }));
    // Blocking reads get a connection of their own, so they never hold up other commands.
    const connection = this.redis.duplicate();
    if (connection.status === 'wait') await connection.connect();
    return new RedisStreamsConsumer(connection, this.logger, streams, this.deadLetterKey, {
      group: groupOf(projection),
      name: consumerName,
      claimIdleMs: this.options.claimIdleMs,
      maxDeliveries: this.options.maxDeliveries,
    });
  }

  private async ensureGroup(projection: ProjectionName, partition: number): Promise<void> {
    const stream = this.streamOf(projection, partition);
    if (this.grouped.has(stream)) return;
    try {
      await this.redis.xgroup('CREATE', stream, groupOf(projection), '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
    this.grouped.set(stream, projection);
  }

  /**
   * Drops what the group has acknowledged: entries before both its oldest pending one and its last delivered one
   * (XTRIM MINID, approximate so Redis trims whole nodes). Streams stay bounded by the consumers' lag.
   */
  private async trim(): Promise<void> {
    for (const [stream, projection] of this.grouped) {
      const group = groupOf(projection);
      const [groups, pending] = await Promise.all([
        this.redis.xinfo('GROUPS', stream) as Promise<unknown[][]>,
        this.redis.xpending(stream, group) as Promise<[number, string | null, string | null, unknown]>,
      ]);
      const info = groups.map(fieldsOf).find((g) => g.name === group);
      const delivered = typeof info?.['last-delivered-id'] === 'string' ? info['last-delivered-id'] : null;
      const oldestPending = pending[1];
      const keep = oldestPending ?? delivered;
      if (keep && keep !== '0-0') await this.redis.xtrim(stream, 'MINID', '~', keep);
    }
  }
}

const fieldsOf = (entry: unknown[]): Record<string, unknown> => {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < entry.length; i += 2) fields[String(entry[i])] = entry[i + 1];
  return fields;
};
