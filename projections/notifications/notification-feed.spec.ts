import { keyHash16 } from '../../domain/shared/shard-key';
import type { Generation } from '../read-model-ports';
import { NotificationFeed, StreamLimitError, type FeedSink } from './notification-feed';
import {
  cursorBefore,
  cursorOf,
  type NotificationCursor,
  type NotificationView,
} from './notifications-queries';

const SHARDS = 2;
const PARTITIONS = 4;

/** An in-memory read model: rows, and each shard's partition checkpoints, moved by the test. */
class FakeReadModel {
  generation: Generation = {
    projection: 'notifications',
    generation: 1,
    shards: SHARDS,
    partitions: PARTITIONS,
    state: 'live',
  };
  readonly rows: NotificationView[] = [];
  /** Every partition's checkpoint (the same in every shard, unless `shardCheckpoint` says otherwise). */
  checkpoint = 0n;
  readonly shardCheckpoint = new Map<number, bigint>();
  checkpointReads = 0;
  private ids = 0;

  /** A notification at `position`, not visible to the feed until the checkpoint passes it. */
  add(userId: string, position: number): NotificationView {
    this.ids += 1;
    const notificationId = `00000000-0000-7000-8000-${String(this.ids).padStart(12, '0')}`;
    const row: NotificationView = {
      notificationId,
      userId,
      kind: 'RESERVATION_CANCELLED',
      payload: { reservationId: notificationId, couponId: notificationId },
      createdAt: '2026-01-01T00:00:00.000Z',
      position: String(position),
      cursor: `${String(position)}-${notificationId}`,
      read: false,
    };
    this.rows.push(row);
    return row;
  }

  readonly live = { of: () => Promise.resolve(this.generation) };
  readonly shards = {
    checkpoints: (_g: Generation, shard: number) => {
      this.checkpointReads += 1;
      const checkpoint = this.shardCheckpoint.get(shard) ?? this.checkpoint;
      return Promise.resolve(
        new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, checkpoint] as [number, bigint])),
      );
    },
  };
  private select(
    filter: (row: NotificationView) => boolean,
    after: NotificationCursor,
    upTo: bigint,
    limit: number,
  ) {
    return Promise.resolve(
      this.rows
        .filter((r) => filter(r) && cursorBefore(after, cursorOf(r)) && BigInt(r.position) <= upTo)
        .sort((a, b) => (cursorBefore(cursorOf(a), cursorOf(b)) ? -1 : 1))
        .slice(0, limit),
    );
  }
  readonly log = {
    ofUser: (_g: Generation, userId: string, after: NotificationCursor, upTo: bigint, limit: number) =>
      this.select((r) => r.userId === userId, after, upTo, limit),
    ofShard: (g: Generation, shard: number, after: NotificationCursor, upTo: bigint, limit: number) =>
      this.select((r) => keyHash16(r.userId) % g.shards === shard, after, upTo, limit),
  };
}

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A sink recording what a stream was sent and whether it was closed. */
const recorder = () => {
  const sent: string[] = [];
  const closed: string[] = [];
  const sink: FeedSink = {
    send: (notifications) => sent.push(...notifications.map((n) => n.cursor)),
    close: (reason) => closed.push(reason),
  };
  return { sink, sent, closed };
};

const tick = () => new Promise((r) => setTimeout(r, 30));

describe('the notification feed (one watcher for every stream of a process)', () => {
  let model: FakeReadModel;
  let feed: NotificationFeed;
  beforeEach(() => {
    model = new FakeReadModel();
    feed = new NotificationFeed(model.live, model.shards, model.log, logger, {
      pollMs: 5,
      maxStreams: 5,
      maxStreamsPerUser: 2,
    });
  });
  afterEach(() => feed.stop());

  it('sends a buyer’s new notifications to each of their streams, and nobody else’s', async () => {
    model.add('alice', 1);
    model.checkpoint = 1n;
    const [a1, a2, b] = [recorder(), recorder(), recorder()];
    for (const [user, r] of [
      ['alice', a1],
      ['alice', a2],
      ['bob', b],
    ] as const)
      await (await feed.open(user, null)).start(r.sink);
    const fresh = model.add('alice', 2);
    model.add('carol', 3);
    model.checkpoint = 3n;
    await tick();
    expect(a1.sent).toEqual([fresh.cursor]); // not the one from before it connected
    expect(a2.sent).toEqual([fresh.cursor]);
    expect(b.sent).toEqual([]);
  });

  it('sends nothing past its partition’s checkpoint: a notification applied out of order waits for the gap', async () => {
    const stream = recorder();
    await (await feed.open('alice', null)).start(stream.sink);
    const later = model.add('alice', 7);
    model.checkpoint = 5n; // 7 is in the table, but 6 may still come
    await tick();
    expect(stream.sent).toEqual([]);
    const earlier = model.add('alice', 6);
    model.checkpoint = 7n;
    await tick();
    expect(stream.sent).toEqual([earlier.cursor, later.cursor]);
  });

  it('resumes after a cursor: what was missed from the read model, then live, each once', async () => {
    const seen = model.add('alice', 1);
    const missed = [model.add('alice', 2), model.add('alice', 3)];
    model.checkpoint = 3n;
    const stream = recorder();
    const subscription = await feed.open('alice', cursorOf(seen));
    // A notification arriving while the stream has not started is kept for it.
    const during = model.add('alice', 4);
    model.checkpoint = 4n;
    await tick();
    await subscription.start(stream.sink);
    const live = model.add('alice', 5);
    model.checkpoint = 5n;
    await tick();
    expect(stream.sent).toEqual([...missed, during, live].map((n) => n.cursor));
  });

  it('reads each shard’s checkpoints once per poll, whatever the number of streams', async () => {
    const streams = ['a', 'b', 'c', 'd', 'e'].map(() => recorder());
    for (const [i, r] of streams.entries()) await (await feed.open(`user-${String(i)}`, null)).start(r.sink);
    model.checkpointReads = 0;
    await new Promise((r) => setTimeout(r, 100));
    const shardsWithStreams = new Set([0, 1, 2, 3, 4].map((i) => keyHash16(`user-${String(i)}`) % SHARDS))
      .size;
    // At most one read per shard per 5 ms poll (timers are late, never early).
    expect(model.checkpointReads).toBeLessThanOrEqual(Math.ceil(100 / 5) * shardsWithStreams);
    expect(model.checkpointReads).toBeGreaterThan(0);
  });

  it('admits at most the configured streams per buyer and per process, and frees a slot when one closes', async () => {
    const first = await feed.open('alice', null);
    await feed.open('alice', null);
    await expect(feed.open('alice', null)).rejects.toEqual(new StreamLimitError('user', 2));
    await feed.open('bob', null);
    await feed.open('bob', null);
    await feed.open('carol', null);
    await expect(feed.open('dave', null)).rejects.toMatchObject({ scope: 'process', limit: 5 });
    first.close();
    expect(feed.streams).toBe(4);
    await expect(feed.open('alice', null)).resolves.toBeDefined();
  });

  it('closes every stream when the read model is rebuilt, and when it stops', async () => {
    const [before, after] = [recorder(), recorder()];
    await (await feed.open('alice', null)).start(before.sink);
    model.generation = { ...model.generation, generation: 2 };
    await tick();
    expect(before.closed).toEqual([expect.stringContaining('rebuilt')]);
    await (await feed.open('alice', null)).start(after.sink);
    await feed.stop();
    expect(after.closed).toEqual([expect.stringContaining('stopping')]);
    expect(feed.streams).toBe(0);
  });

  it('keeps each shard’s own pace for a partition whose buyers live in several shards (3 shards, 4 partitions)', async () => {
    model.generation = { ...model.generation, shards: 3 };
    // Two buyers of one partition in different shards.
    const users = Array.from({ length: 200 }, (_, i) => `u${String(i)}`);
    const first = users[0]!;
    const other = users.find(
      (u) =>
        keyHash16(u) % PARTITIONS === keyHash16(first) % PARTITIONS &&
        keyHash16(u) % 3 !== keyHash16(first) % 3,
    )!;
    const [a, b] = [recorder(), recorder()];
    await (await feed.open(first, null)).start(a.sink);
    await (await feed.open(other, null)).start(b.sink);
    const ahead = model.add(first, 9);
    const behind = model.add(other, 7);
    model.shardCheckpoint.set(keyHash16(first) % 3, 10n);
    model.shardCheckpoint.set(keyHash16(other) % 3, 5n);
    await tick();
    expect([a.sent, b.sent]).toEqual([[ahead.cursor], []]);
    model.shardCheckpoint.set(keyHash16(other) % 3, 10n);
    await tick();
    expect(b.sent).toEqual([behind.cursor]);
  });
});
