import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../commands/logger-port';
import { keyHash16 } from '../../domain/shared/shard-key';
import { ReadModelMissingError } from '../live-read-models';
import type { LiveGenerations } from '../live-generations';
import type { Generation, ReadShards } from '../read-model-ports';
import {
  cursorBefore,
  cursorOf,
  type NotificationCursor,
  type NotificationLog,
  type NotificationView,
} from './notifications-queries';

/** Where a live stream's notifications go (read-api/routes/notification-stream.ts writes them as SSE events). */
export interface FeedSink {
  /** Notifications in order, none the stream has had already. */
  send(notifications: readonly NotificationView[]): void;
  /** The feed ends the stream (the read model was rebuilt, the process stops, a read failed): reconnect to resume. */
  close(reason: string): void;
}

/** A stream was refused: too many open in this process, or for this buyer. */
export class StreamLimitError extends Error {
  constructor(
    readonly scope: 'process' | 'user',
    readonly limit: number,
  ) {
    super(
      scope === 'user'
        ? `at most ${limit} notification streams may be open per buyer; close one first`
        : `this server holds ${limit} notification streams already; retry shortly`,
    );
    this.name = 'StreamLimitError';
  }
}

export interface NotificationFeedOptions {
  /** How often the feed reads the checkpoints of the shards it serves (one query per shard, whatever the streams). */
  readonly pollMs: number;
  /** Streams open at once in this process. */
  readonly maxStreams: number;
  /** Streams open at once per buyer in this process. */
  readonly maxStreamsPerUser: number;
}

/** After every notification at `position`: ids are lowercase UUIDs, which all sort before this. */
export const afterPosition = (position: bigint): NotificationCursor => ({
  position,
  notificationId: 'g',
});

const PAGE = 500;

const slotOf = (shard: number, partition: number): string => `${String(shard)}/${String(partition)}`;

/** Read through a function: a stream may be closed while a read of it is awaited. */
const isClosed = (subscriber: { readonly closed: string | null }): boolean => subscriber.closed !== null;

interface Subscriber {
  readonly userId: string;
  readonly shard: number;
  readonly partition: number;
  /** The last notification the stream has, or skips to: it is sent only what comes after. */
  last: NotificationCursor;
  /** Where it goes, once the stream has started. */
  sink: FeedSink | null;
  /** False while the stream replays what it missed: meanwhile new notifications wait in `buffer`. */
  live: boolean;
  readonly buffer: NotificationView[];
  /** Why the feed closed it (null: open, or closed by its own side). */
  closed: string | null;
}

/** One open stream: `start` replays what it missed, then it is live; `close` leaves the feed. */
export interface FeedSubscription {
  start(sink: FeedSink): Promise<void>;
  close(): void;
}

/**
 * The live notifications of every stream this process serves, from one shared poll loop: every `pollMs`, for each
 * shard that has streams, one read of its partitions' checkpoints and, when they moved, one read of the notifications
 * between the last reading and this one, fanned out to the streams of their buyers. Nothing is read per connection,
 * except the notifications a reconnecting stream missed.
 *
 * Only notifications at or below their partition's checkpoint are sent: the checkpoint is gap-aware
 * (checkpoint-frontier.ts), so no notification can appear later behind one already sent, and `Last-Event-ID` (a
 * notification's cursor) resumes a stream exactly: what it missed comes from the read model (after the cursor, up to
 * the feed's watermark for the buyer's partition), the rest live. When the live generation changes (a replay was
 * promoted) every stream is closed, to be resumed against the new one.
 */
export class NotificationFeed {
  private generation: Generation | null = null;
  /**
   * Per shard and partition with streams (`<shard>/<partition>`: a partition's buyers may live in several shards,
   * each with its own checkpoint): every notification there up to this position has been fanned out.
   */
  private readonly delivered = new Map<string, bigint>();
  /** Streams per shard and partition. */
  private readonly slotStreams = new Map<string, number>();
  /** Per shard, per buyer: their open streams. */
  private readonly byShard = new Map<number, Map<string, Set<Subscriber>>>();
  private readonly perUser = new Map<string, number>();
  private open_ = 0;
  private readonly initializing = new Map<number, Promise<ReadonlyMap<number, bigint>>>();
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastWarnAt = 0;

  constructor(
    private readonly live: Pick<LiveGenerations, 'of'>,
    private readonly shards: Pick<ReadShards, 'checkpoints'>,
    private readonly log: Pick<NotificationLog, 'ofUser' | 'ofShard'>,
    private readonly logger: Logger,
    private readonly options: NotificationFeedOptions,
  ) {}

  /** Streams open now, replaying ones included (for the metrics). */
  get streams(): number {
    return this.open_;
  }

  /**
   * Admits a stream for the buyer and joins the feed (refused with StreamLimitError past the caps, and
   * ReadModelMissingError before the read model exists). From now on its new notifications are kept for it; `after`
   * is where it resumes (null: from now on).
   */
  async open(userId: string, after: NotificationCursor | null): Promise<FeedSubscription> {
    if (this.stopped || this.open_ >= this.options.maxStreams)
      throw new StreamLimitError('process', this.options.maxStreams);
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.options.maxStreamsPerUser)
      throw new StreamLimitError('user', this.options.maxStreamsPerUser);
    this.open_ += 1;
    this.perUser.set(userId, mine + 1);
    let subscriber: Subscriber | undefined;
    try {
      const generation = await this.live.of('notifications');
      if (!generation) throw new ReadModelMissingError('notifications');
      this.follow(generation);
      const key = keyHash16(userId);
      const shard = key % generation.shards;
      const partition = key % generation.partitions;
      const slot = slotOf(shard, partition);
      if (!this.delivered.has(slot)) {
        const checkpoints = await this.readingOf(generation, shard);
        if (this.generation?.generation !== generation.generation)
          throw new ReadModelMissingError('notifications');
        if (!this.delivered.has(slot)) this.delivered.set(slot, checkpoints.get(partition) ?? 0n);
      }
      // Synchronously from here: the watermark and the registration go together, so every notification past the
      // watermark reaches this stream's buffer.
      const watermark = this.delivered.get(slot) ?? 0n;
      const created: Subscriber = {
        userId,
        shard,
        partition,
        last: after ?? afterPosition(watermark),
        sink: null,
        live: false,
        buffer: [],
        closed: null,
      };
      subscriber = created;
      this.add(created);
      this.ensureRunning();
      return {
        start: (sink) => this.start(generation, created, after === null ? null : watermark, sink),
        close: () => this.remove(created, 'closed by the stream'),
      };
    } catch (error) {
      if (subscriber) this.remove(subscriber, 'refused');
      else this.release(userId);
      throw error;
    }
  }

  /** Ends every stream and the poll loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closeAll('the server is stopping');
    await this.running;
  }

  /** Replays what the stream missed up to `watermark` (none: it missed nothing), then makes it live. */
  private async start(
    generation: Generation,
    subscriber: Subscriber,
    watermark: bigint | null,
    sink: FeedSink,
  ): Promise<void> {
    subscriber.sink = sink;
    try {
      if (watermark !== null)
        for (;;) {
          if (isClosed(subscriber)) break;
          const missed = await this.log.ofUser(
            generation,
            subscriber.userId,
            subscriber.last,
            watermark,
            PAGE,
          );
          if (isClosed(subscriber)) break;
          const last = missed.at(-1);
          if (last) {
            sink.send(missed);
            subscriber.last = cursorOf(last);
          }
          if (missed.length < PAGE) break;
        }
      if (subscriber.closed !== null) {
        sink.close(subscriber.closed);
        return;
      }
      subscriber.live = true;
      this.deliver(subscriber, subscriber.buffer.splice(0));
    } catch (error) {
      this.remove(subscriber, 'the notifications could not be read; reconnect to resume');
      sink.close('the notifications could not be read; reconnect to resume');
      this.warn(error, 'a notification stream could not replay what it missed');
    }
  }

  /** One reading of a shard's checkpoints shared by the streams that join it at the same time. */
  private readingOf(generation: Generation, shard: number): Promise<ReadonlyMap<number, bigint>> {
    let reading = this.initializing.get(shard);
    if (!reading) {
      reading = this.shards.checkpoints(generation, shard).finally(() => this.initializing.delete(shard));
      this.initializing.set(shard, reading);
    }
    return reading;
  }

  /** A new live generation: the streams on the old one are closed, to resume on the new one. */
  private follow(generation: Generation): void {
    if (this.generation?.generation === generation.generation) {
      this.generation = generation;
      return;
    }
    if (this.generation !== null)
      this.closeAll('the notifications read model was rebuilt; reconnect to resume');
    this.generation = generation;
  }

  private add(subscriber: Subscriber): void {
    let users = this.byShard.get(subscriber.shard);
    if (!users) this.byShard.set(subscriber.shard, (users = new Map<string, Set<Subscriber>>()));
    let streams = users.get(subscriber.userId);
    if (!streams) users.set(subscriber.userId, (streams = new Set<Subscriber>()));
    streams.add(subscriber);
    const slot = slotOf(subscriber.shard, subscriber.partition);
    this.slotStreams.set(slot, (this.slotStreams.get(slot) ?? 0) + 1);
  }

  private remove(subscriber: Subscriber, reason: string): void {
    if (subscriber.closed !== null) return;
    subscriber.closed = reason;
    const users = this.byShard.get(subscriber.shard);
    const streams = users?.get(subscriber.userId);
    streams?.delete(subscriber);
    if (streams?.size === 0) users?.delete(subscriber.userId);
    if (users?.size === 0) this.byShard.delete(subscriber.shard);
    const slot = slotOf(subscriber.shard, subscriber.partition);
    const left = (this.slotStreams.get(slot) ?? 1) - 1;
    if (left > 0) this.slotStreams.set(slot, left);
    else {
      this.slotStreams.delete(slot);
      this.delivered.delete(slot);
    }
    this.release(subscriber.userId);
  }

  private release(userId: string): void {
    this.open_ -= 1;
    const left = (this.perUser.get(userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(userId, left);
    else this.perUser.delete(userId);
  }

  private closeAll(reason: string): void {
    const all = [...this.byShard.values()].flatMap((users) => [...users.values()].flatMap((s) => [...s]));
    for (const subscriber of all) {
      const { sink, live } = subscriber;
      this.remove(subscriber, reason);
      // One still replaying is closed by its replay, when it sees this.
      if (live) sink?.close(reason);
    }
    this.delivered.clear();
  }

  /** Sends what the stream does not have yet, in order; buffers it while the stream replays. */
  private deliver(subscriber: Subscriber, notifications: readonly NotificationView[]): void {
    if (subscriber.closed !== null || notifications.length === 0) return;
    if (!subscriber.live || !subscriber.sink) {
      subscriber.buffer.push(...notifications);
      return;
    }
    const last = subscriber.last;
    const fresh = notifications.filter((n) => cursorBefore(last, cursorOf(n)));
    const newest = fresh.at(-1);
    if (!newest) return;
    subscriber.last = cursorOf(newest);
    subscriber.sink.send(fresh);
  }

  private ensureRunning(): void {
    this.running ??= this.loop().finally(() => {
      this.running = null;
      // Again only when a stream registered while the loop was ending: the loop's own condition. A stream still
      // being admitted (counted in open_, not registered yet) starts the loop itself once registered; restarting for
      // it here would end at once and restart again, a chain of microtasks that never lets its admission finish.
      if (this.byShard.size > 0 && !this.stopped) this.ensureRunning();
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.byShard.size > 0) {
      try {
        const generation = await this.live.of('notifications');
        if (!generation) this.closeAll('the notifications read model is gone');
        else {
          this.follow(generation);
          await Promise.all([...this.byShard.keys()].map((shard) => this.poll(generation, shard)));
        }
      } catch (error) {
        this.warn(error, 'the notification feed could not read the read model; retrying');
      }
      await sleep(this.options.pollMs);
    }
  }

  /** One shard: its checkpoints, then the notifications of its partitions with streams that moved, fanned out. */
  private async poll(generation: Generation, shard: number): Promise<void> {
    const from = new Map<number, bigint>();
    for (const streams of this.byShard.get(shard)?.values() ?? [])
      for (const { partition } of streams) {
        const position = this.delivered.get(slotOf(shard, partition));
        if (position !== undefined) from.set(partition, position);
      }
    if (from.size === 0) return;
    const checkpoints = await this.shards.checkpoints(generation, shard);
    const moved = [...from].filter(([partition, position]) => (checkpoints.get(partition) ?? 0n) > position);
    const [first] = moved;
    if (!first) return;
    let low = first[1];
    let high = 0n;
    for (const [partition, position] of moved) {
      if (position < low) low = position;
      const reached = checkpoints.get(partition) ?? 0n;
      if (reached > high) high = reached;
    }
    const rows: NotificationView[] = [];
    for (let after = afterPosition(low); ;) {
      const page = await this.log.ofShard(generation, shard, after, high, PAGE * 4);
      rows.push(...page);
      const last = page.at(-1);
      if (!last || page.length < PAGE * 4) break;
      after = cursorOf(last);
    }
    if (this.generation?.generation !== generation.generation || this.stopped) return;
    // Synchronously from here to the watermarks' advance (see `open`).
    const bounds = new Map(
      moved.map(([partition, position]) => [
        partition,
        { from: position, to: checkpoints.get(partition) ?? 0n },
      ]),
    );
    const byUser = new Map<string, NotificationView[]>();
    for (const row of rows) {
      const range = bounds.get(keyHash16(row.userId) % generation.partitions);
      const position = BigInt(row.position);
      if (!range || position <= range.from || position > range.to) continue;
      const mine = byUser.get(row.userId);
      if (mine) mine.push(row);
      else byUser.set(row.userId, [row]);
    }
    const users = this.byShard.get(shard);
    for (const [userId, notifications] of byUser)
      for (const subscriber of users?.get(userId) ?? []) this.deliver(subscriber, notifications);
    for (const [partition, { to }] of bounds)
      if ((this.delivered.get(slotOf(shard, partition)) ?? to) < to)
        this.delivered.set(slotOf(shard, partition), to);
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.logger.warn({ err: error }, message);
  }
}
