import type { Redis } from 'ioredis';
import type { RecordedEvent } from '../../commands/event-store-port';
import type { Logger } from '../../commands/logger-port';
import { sequence, type BusConsumer, type BusMessage, type EventBus } from '../../projections/event-bus-port';
import { decodeSequenced, encodeSequenced } from '../messaging/sequenced-event-codec';

export interface RedisStreamsBusOptions {
  readonly prefix: string;
  /** A message held this long by a consumer that stopped answering is handed to another. */
  readonly claimIdleMs: number;
  /** Deliveries after which a message goes to the dead-letter stream. */
  readonly maxDeliveries: number;
}

type StreamEntries = [id: string, fields: string[]][];

/**
 * The embedded bus: one Redis stream holds every event in global order; each projection is a consumer group. Redis
 * keeps what a consumer holds until it acks; a consumer that died has its messages claimed after `claimIdleMs`.
 */
export class RedisStreamsBus implements EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: RedisStreamsBusOptions,
  ) {}

  get streamKey(): string {
    return `${this.options.prefix}:bus:events`;
  }

  get deadLetterKey(): string {
    return `${this.options.prefix}:bus:dead`;
  }

  async publish(events: readonly RecordedEvent[], previous: bigint): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const linked of sequence(events, previous))
      pipeline.xadd(this.streamKey, '*', 'e', encodeSequenced(linked));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** The Redis connection belongs to the process; consumers close their own. */
  async close(): Promise<void> {
    await Promise.resolve();
  }

  async consumer(group: string, consumerName: string): Promise<BusConsumer> {
    try {
      await this.redis.xgroup('CREATE', this.streamKey, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
    // Blocking reads get a connection of their own, so they never hold up other commands.
    const connection = this.redis.duplicate();
    if (connection.status === 'wait') await connection.connect();
    return new RedisStreamsConsumer(
      connection,
      this.logger,
      this.streamKey,
      this.deadLetterKey,
      group,
      consumerName,
      this.options,
    );
  }
}

class RedisStreamsConsumer implements BusConsumer {
  private ownPendingDone = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly stream: string,
    private readonly deadLetters: string,
    private readonly group: string,
    private readonly name: string,
    private readonly options: RedisStreamsBusOptions,
  ) {}

  async receive(max: number, waitMs: number): Promise<BusMessage[]> {
    try {
      return await this.receiveFromRedis(max, waitMs);
    } catch (error) {
      // A read that failed on our side (a timeout after a pause, a dropped connection) may have been delivered on
      // Redis's: its messages now wait in our pending list, which `>` never returns. Read that list first next time.
      this.ownPendingDone = false;
      throw error;
    }
  }

  private async receiveFromRedis(max: number, waitMs: number): Promise<BusMessage[]> {
    if (!this.ownPendingDone) {
      // After a restart under the same name, what this consumer held comes back first, in order.
      const own = await this.read(max, '0');
      if (own.length > 0) return own;
      this.ownPendingDone = true;
    }
    const claimed = await this.claimAbandoned(max);
    if (claimed.length > 0) return claimed;
    return this.read(max, '>', waitMs);
  }

  async ack(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length > 0) await this.redis.xack(this.stream, this.group, ...messages.map((m) => m.id));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await Promise.resolve();
  }

  private async read(max: number, from: '0' | '>', waitMs?: number): Promise<BusMessage[]> {
    const reply = (
      waitMs === undefined
        ? await this.redis.xreadgroup(
            'GROUP',
            this.group,
            this.name,
            'COUNT',
            max,
            'STREAMS',
            this.stream,
            from,
          )
        : await this.redis.xreadgroup(
            'GROUP',
            this.group,
            this.name,
            'COUNT',
            max,
            'BLOCK',
            waitMs,
            'STREAMS',
            this.stream,
            from,
          )
    ) as [string, StreamEntries][] | null;
    return toMessages(reply?.[0]?.[1] ?? []);
  }

  /** Takes over messages another consumer held too long; a message delivered too often goes to the dead letters. */
  private async claimAbandoned(max: number): Promise<BusMessage[]> {
    const pending = (await this.redis.xpending(
      this.stream,
      this.group,
      'IDLE',
      this.options.claimIdleMs,
      '-',
      '+',
      max,
    )) as [string, string, number, number][];
    const poisoned = pending
      .filter(([, , , deliveries]) => deliveries >= this.options.maxDeliveries)
      .map(([id]) => id);
    if (poisoned.length > 0) await this.deadLetter(poisoned);
    const claimable = pending
      .filter(([, , , deliveries]) => deliveries < this.options.maxDeliveries)
      .map(([id]) => id);
    if (claimable.length === 0) return [];
    const entries = (await this.redis.xclaim(
      this.stream,
      this.group,
      this.name,
      this.options.claimIdleMs,
      ...claimable,
    )) as StreamEntries;
    return toMessages(entries);
  }

  private async deadLetter(ids: readonly string[]): Promise<void> {
    const entries = (await this.redis.xclaim(this.stream, this.group, this.name, 0, ...ids)) as StreamEntries;
    for (const [id, fields] of entries) {
      await this.redis.xadd(this.deadLetters, '*', 'group', this.group, 'id', id, ...fields);
      const event = fields[1] ? decodeSequenced(fields[1]).event : null;
      this.logger.error(
        {
          group: this.group,
          busId: id,
          eventId: event?.metadata.eventId,
          position: event?.position.toString(),
        },
        'message dead-lettered after repeated failures',
      );
    }
    await this.redis.xack(this.stream, this.group, ...ids);
  }
}

const toMessages = (entries: StreamEntries): BusMessage[] =>
  entries.flatMap(([id, fields]) => {
    const payload = fields[fields.indexOf('e') + 1];
    return payload ? [{ id, ...decodeSequenced(payload) }] : [];
  });
