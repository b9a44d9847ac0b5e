import type { Redis } from 'ioredis';
import type { Logger } from '../../commands/logger-port';
import type { BusConsumer, BusMessage } from '../../projections/event-bus-port';
import { decodeSequenced } from '../messaging/sequenced-event-codec';

/** One partition's stream. */
export interface PartitionStream {
  readonly partition: number;
  readonly key: string;
}

export interface RedisStreamsConsumerOptions {
  readonly group: string;
  /** This consumer's name in the group (the projector member: unique per process). */
  readonly name: string;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
}

type StreamEntries = [id: string, fields: string[]][];
type PendingEntry = [id: string, consumer: string, idleMs: number, deliveries: number];

/** Consumers gone this long with nothing pending are removed from the group (every restart adds a member name). */
const FORGET_CONSUMERS_AFTER_MS = 3_600_000;

/**
 * Reads the streams of the partitions its projector owns, in one XREADGROUP. The lease makes it their only reader,
 * so on its first read it claims at once whatever a former owner left pending (a crashed replica's batch); later
 * reads claim what stayed pending longer than `claimIdleMs` (a former owner that read after losing its lease, and
 * was then fenced). A message delivered `maxDeliveries` times goes to the dead-letter stream.
 */
export class RedisStreamsConsumer implements BusConsumer {
  private readonly partitionOf = new Map<string, number>();
  private ownPendingDone = false;
  private claimedAt: number | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly streams: readonly PartitionStream[],
    private readonly deadLetters: string,
    private readonly options: RedisStreamsConsumerOptions,
  ) {
    for (const { key, partition } of streams) this.partitionOf.set(key, partition);
  }

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
      const own = await this.read(max, '0');
      if (own.length > 0) return own;
      this.ownPendingDone = true;
    }
    const now = Date.now();
    const { claimIdleMs } = this.options;
    if (this.claimedAt === null || now - this.claimedAt >= Math.max(250, claimIdleMs / 4)) {
      const takeover = this.claimedAt === null;
      this.claimedAt = now;
      if (takeover) await this.forgetGoneConsumers();
      const claimed = await this.claim(max, takeover ? 0 : claimIdleMs);
      if (claimed.length > 0) return claimed;
    }
    return this.read(max, '>', waitMs);
  }

  async ack(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byStream = new Map<string, string[]>();
    const keyOf = new Map(this.streams.map((s) => [s.partition, s.key]));
    for (const { partition, id } of messages) {
      const key = keyOf.get(partition);
      if (key === undefined) continue;
      const ids = byStream.get(key);
      if (ids) ids.push(id);
      else byStream.set(key, [id]);
    }
    const pipeline = this.redis.pipeline();
    for (const [key, ids] of byStream) pipeline.xack(key, this.options.group, ...ids);
    const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await Promise.resolve();
  }

  private async read(max: number, from: '0' | '>', waitMs?: number): Promise<BusMessage[]> {
    if (this.streams.length === 0) return [];
    const keys = this.streams.map((s) => s.key);
    const ids = keys.map(() => from);
    const { group, name } = this.options;
    const reply = (
      waitMs === undefined
        ? await this.redis.xreadgroup('GROUP', group, name, 'COUNT', max, 'STREAMS', ...keys, ...ids)
        : await this.redis.xreadgroup(
            'GROUP',
            group,
            name,
            'COUNT',
            max,
            'BLOCK',
            waitMs,
            'STREAMS',
            ...keys,
            ...ids,
          )
    ) as [string, StreamEntries][] | null;
    const messages: BusMessage[] = [];
    for (const [key, entries] of reply ?? []) messages.push(...(await this.toMessages(key, entries)));
    return messages;
  }

  /**
   * Takes over the messages of our partitions that other consumers hold, idle at least `minIdleMs`; a message
   * delivered too often goes to the dead letters instead.
   */
  private async claim(max: number, minIdleMs: number): Promise<BusMessage[]> {
    const { group, name, maxDeliveries } = this.options;
    const listing = this.redis.pipeline();
    for (const { key } of this.streams) listing.xpending(key, group, 'IDLE', minIdleMs, '-', '+', max);
    const pendings = (await listing.exec()) ?? [];
    const messages: BusMessage[] = [];
    for (const [index, [error, value]] of pendings.entries()) {
      const stream = this.streams[index];
      if (error) throw error;
      if (!stream) continue;
      const pending = (value as PendingEntry[]).filter(([, consumer]) => consumer !== name || minIdleMs > 0);
      const poisoned = pending.filter(([, , , n]) => n >= maxDeliveries).map(([id]) => id);
      if (poisoned.length > 0) await this.deadLetter(stream.key, poisoned);
      const claimable = pending.filter(([, , , n]) => n < maxDeliveries).map(([id]) => id);
      if (claimable.length === 0) continue;
      const entries = (await this.redis.xclaim(
        stream.key,
        group,
        name,
        minIdleMs,
        ...claimable,
      )) as StreamEntries;
      messages.push(...(await this.toMessages(stream.key, entries)));
      if (messages.length >= max) break;
    }
    return messages;
  }

  private async toMessages(key: string, entries: StreamEntries): Promise<BusMessage[]> {
    const partition = this.partitionOf.get(key);
    if (partition === undefined) return [];
    const messages: BusMessage[] = [];
    const undecodable: string[] = [];
    for (const [id, fields] of entries) {
      const payload = fields[fields.indexOf('e') + 1];
      try {
        if (payload === undefined) throw new Error('no payload');
        messages.push({ id, partition, ...decodeSequenced(payload) });
      } catch {
        undecodable.push(id);
      }
    }
    // Nothing but the relay writes these streams: an entry that does not decode is set aside, never retried.
    if (undecodable.length > 0) await this.deadLetter(key, undecodable);
    return messages;
  }

  private async deadLetter(key: string, ids: readonly string[]): Promise<void> {
    const { group, name } = this.options;
    const entries = (await this.redis.xclaim(key, group, name, 0, ...ids)) as StreamEntries;
    for (const [id, fields] of entries) {
      await this.redis.xadd(this.deadLetters, '*', 'group', group, 'stream', key, 'id', id, ...fields);
      let eventId: string | undefined;
      let position: string | undefined;
      try {
        const message = decodeSequenced(fields[fields.indexOf('e') + 1] ?? '');
        eventId = message.event?.metadata.eventId;
        position = message.position.toString();
      } catch {
        // Logged without them.
      }
      this.logger.error(
        { group, stream: key, busId: id, eventId, position },
        'message dead-lettered after repeated failures',
      );
    }
    await this.redis.xack(key, group, ...ids);
  }

  /** Removes group members that have held nothing for an hour: each projector process joins under a new name. */
  private async forgetGoneConsumers(): Promise<void> {
    const { group, name } = this.options;
    for (const { key } of this.streams) {
      const consumers = (await this.redis.xinfo('CONSUMERS', key, group)) as unknown[][];
      for (const fields of consumers) {
        const info: Record<string, unknown> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) info[String(fields[i])] = fields[i + 1];
        if (info.name !== name && Number(info.pending) === 0 && Number(info.idle) > FORGET_CONSUMERS_AFTER_MS)
          await this.redis.xgroup('DELCONSUMER', key, group, String(info.name));
      }
    }
  }
}
