import { randomUUID } from 'node:crypto';
import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { systemContext, withMetadata } from '../commands/command-context';
import type { EventStore } from '../commands/event-store-port';
import { decodeRecorded } from '../commands/stored-events';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards } from '../infra/mysql/mysql-read-shards';
import { notificationOf } from '../projections/notifications/notification-mapping';
import { PROJECTIONS } from '../projections/projections';
import { ProjectionWriter } from '../projections/projection-writer';
import { Replay } from '../projections/replay';
import { request, tokenFor } from './support/http-client';
import { readWholeLog } from './support/event-log';
import { openStream, type SseStream } from './support/sse-client';
import { createTestEnv, type TestEnv } from './support/test-env';

const PARTITIONS = 4;
const COUPON = '01900000-0000-7000-8000-00000000c001';

interface Expected {
  notificationId: string;
  kind: string;
  payload: unknown;
  createdAt: string;
  position: string;
  read: boolean;
}

describe('notifications end to end (event store → relay → bus → projector → read model → read-api, marks via write-api)', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let writeUrl: string;
  let readUrl: string;
  let store: EventStore;

  /** Appends one event to its stream, as the deciders of reservations and orders would; answers its position. */
  const append = async (streamId: string, type: string, data: Record<string, unknown>): Promise<bigint> => {
    const events = withMetadata(
      [{ type, schemaVersion: 1, data }],
      systemContext('test'),
      new Date(),
      randomUUID,
    );
    return (await store.append(streamId, events, 'any')).position;
  };
  const at = () => new Date().toISOString();
  const reservationOutcome = (userId: string, n: number): Promise<bigint> => {
    const reservationId = randomUUID();
    const stream = `reservation-${reservationId}`;
    const ref = { reservationId, couponId: COUPON, userId };
    switch (n % 4) {
      case 0:
        return append(stream, 'ReservationSucceeded', { ...ref, orderId: randomUUID(), succeededAt: at() });
      case 1:
        return append(stream, 'ReservationFailed', {
          ...ref,
          code: 'SOLD_OUT',
          message: 'sold out',
          failedAt: at(),
        });
      case 2:
        return append(stream, 'ReservationCancelled', { ...ref, cancelledAt: at() });
      default:
        return append(stream, 'ReservationExpired', {
          ...ref,
          expiredAt: at(),
          reason: 'the sale window closed',
        });
    }
  };
  const orderExpiry = async (userId: string): Promise<bigint> => {
    const orderId = randomUUID();
    const ref = { orderId, couponId: COUPON, userId, validUntil: '2026-06-01T00:00:00.000Z' };
    await append(`order-${orderId}`, 'OrderExpiryNoticed', { ...ref, noticedAt: at() });
    return append(`order-${orderId}`, 'OrderExpired', { ...ref, expiredAt: at() });
  };

  /** Every notification of the buyer, newest first, through every page. */
  const listAll = async (userId: string, minPosition?: bigint, unread = false): Promise<Expected[]> => {
    const seen: Expected[] = [];
    for (let cursor: string | null = null; ;) {
      const query = new URLSearchParams({ limit: '3' });
      if (cursor) query.set('cursor', cursor);
      if (minPosition !== undefined) query.set('minPosition', minPosition.toString());
      if (unread) query.set('unread', 'true');
      const page = await request(readUrl, 'GET', `/api/v1/notifications?${query.toString()}`, {
        token: tokenFor(userId),
      });
      expect(page.status).toBe(200);
      for (const item of page.body.items as (Expected & { userId: string; cursor: string })[]) {
        expect(item.userId).toBe(userId);
        expect(item.cursor).toBe(`${item.position}-${item.notificationId}`);
        const { notificationId, kind, payload, createdAt, position, read } = item;
        seen.push({ notificationId, kind, payload, createdAt, position, read });
      }
      cursor = page.body.nextCursor as string | null;
      if (!cursor) return seen;
    }
  };
  const unreadCount = async (userId: string, minPosition?: bigint): Promise<number> => {
    const answer = await request(
      readUrl,
      'GET',
      `/api/v1/notifications/unread-count${minPosition === undefined ? '' : `?minPosition=${minPosition.toString()}`}`,
      { token: tokenFor(userId) },
    );
    expect(answer.status).toBe(200);
    return Number(answer.body.unreadCount);
  };

  /** What the event store says each buyer's notifications are, read marks applied: computed from the log alone. */
  const truth = async (): Promise<Map<string, Expected[]>> => {
    const users = new Map<string, { items: Expected[]; reads: Set<string>; upTo: bigint }>();
    const of = (userId: string) => {
      let user = users.get(userId);
      if (!user) users.set(userId, (user = { items: [], reads: new Set(), upTo: 0n }));
      return user;
    };
    for (const recorded of await readWholeLog(store)) {
      const decoded = decodeRecorded(recorded);
      const { event } = decoded;
      if (event.type === 'NotificationRead') of(event.data.userId).reads.add(event.data.notificationId);
      else if (event.type === 'NotificationsReadUpTo') {
        const user = of(event.data.userId);
        const upTo = BigInt(event.data.upToPosition);
        if (upTo > user.upTo) user.upTo = upTo;
      } else {
        const n = notificationOf(decoded);
        if (n)
          of(n.userId).items.push({
            notificationId: n.notificationId,
            kind: n.kind,
            payload: n.payload,
            createdAt: new Date(n.createdAt).toISOString(),
            position: n.position.toString(),
            read: false,
          });
      }
    }
    return new Map(
      [...users].map(([userId, user]) => [
        userId,
        user.items
          .map((item) => ({
            ...item,
            read: user.reads.has(item.notificationId) || BigInt(item.position) <= user.upTo,
          }))
          .sort((a, b) =>
            BigInt(a.position) === BigInt(b.position)
              ? b.notificationId.localeCompare(a.notificationId)
              : BigInt(b.position) > BigInt(a.position)
                ? 1
                : -1,
          ),
      ]),
    );
  };

  /** Every buyer's notifications and unread count, as read-api answers them, against the truth. */
  const checkEveryAnswer = async (): Promise<number> => {
    const head = await store.headPosition();
    const expected = await truth();
    let checked = 0;
    for (const [userId, items] of expected) {
      expect(await listAll(userId, head)).toEqual(items);
      expect(await unreadCount(userId)).toBe(items.filter((i) => !i.read).length);
      checked += items.length;
    }
    return checked;
  };

  const stream = (path: string, headers: Record<string, string> = {}) =>
    openStream(`${readUrl}/api/v1/notifications/stream${path}`, headers);
  const bearer = (userId: string) => ({ authorization: `Bearer ${tokenFor(userId)}` });

  beforeAll(async () => {
    env = createTestEnv({
      COUPONKILL_PROJECTION_PARTITIONS: String(PARTITIONS),
      COUPONKILL_NOTIFICATION_STREAM_HEARTBEAT_MS: '1000',
      COUPONKILL_NOTIFICATION_STREAMS_PER_USER: '2',
    });
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: ['notifications'] },
      'all-in-one',
    );
    writeUrl = app.urls.writeApi!;
    readUrl = app.urls.readApi!;
    store = app.container.get(TOKENS.EventStore);
  }, 120_000);
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  it('lists a buyer’s notifications newest first, counts the unread, and marks one and all read', async () => {
    for (let n = 0; n < 4; n++) await reservationOutcome('alice', n);
    await reservationOutcome('bob', 0);
    const head = await orderExpiry('alice');
    const all = await listAll('alice', head);
    expect(all.map((n) => n.kind)).toEqual([
      'ORDER_EXPIRED',
      'ORDER_EXPIRING',
      'RESERVATION_EXPIRED',
      'RESERVATION_CANCELLED',
      'RESERVATION_FAILED',
      'RESERVATION_SUCCEEDED',
    ]);
    expect(all.every((n) => !n.read)).toBe(true);
    expect(all[5]).toMatchObject({ payload: { couponId: COUPON, orderId: expect.any(String) } });
    expect(await unreadCount('alice')).toBe(6);
    expect(await unreadCount('bob')).toBe(1);

    // One, by its id: the write answers the position to read it at.
    const one = await request(writeUrl, 'POST', `/api/v1/notifications/${all[1]!.notificationId}/read`, {
      token: tokenFor('alice'),
    });
    expect(one.status).toBe(200);
    expect(await unreadCount('alice', BigInt(String(one.body.position)))).toBe(5);
    const unread = await listAll('alice', undefined, true);
    expect(unread.map((n) => n.notificationId)).toEqual(
      all.filter((_, i) => i !== 1).map((n) => n.notificationId),
    );
    // Bob marking alice's notification marks nothing of hers.
    const foreign = await request(writeUrl, 'POST', `/api/v1/notifications/${all[0]!.notificationId}/read`, {
      token: tokenFor('bob'),
    });
    expect(await unreadCount('alice', BigInt(String(foreign.body.position)))).toBe(5);

    // Up to the fourth newest: it and the older ones, and the one marked by id; the newest stays unread.
    const cursor = `${all[3]!.position}-${all[3]!.notificationId}`;
    const upTo = await request(writeUrl, 'POST', '/api/v1/notifications/read', {
      token: tokenFor('alice'),
      body: { upTo: cursor },
    });
    expect(upTo.body).toMatchObject({ upToPosition: all[3]!.position });
    const afterUpTo = await listAll('alice', BigInt(String(upTo.body.position)));
    expect(afterUpTo.map((n) => n.read)).toEqual([false, true, false, true, true, true]);
    expect(await unreadCount('alice')).toBe(2);

    // Everything so far.
    const everything = await request(writeUrl, 'POST', '/api/v1/notifications/read', {
      token: tokenFor('alice'),
    });
    expect(await unreadCount('alice', BigInt(String(everything.body.position)))).toBe(0);
    expect(await unreadCount('bob')).toBe(1);
    // A notification arriving after "mark all" is unread.
    const later = await reservationOutcome('alice', 0);
    expect(await unreadCount('alice', later)).toBe(1);
  });

  it('refuses bad queries, bad marks and missing credentials', async () => {
    const alice = tokenFor('alice');
    for (const query of ['limit=0', 'limit=101', 'cursor=abc', 'unread=yes', 'status=READ'])
      expect(
        (await request(readUrl, 'GET', `/api/v1/notifications?${query}`, { token: alice })).body.error?.code,
      ).toBe('VALIDATION_FAILED');
    expect((await request(readUrl, 'GET', '/api/v1/notifications')).status).toBe(401);
    expect((await request(readUrl, 'GET', '/api/v1/notifications/unread-count')).status).toBe(401);
    expect(
      (await request(writeUrl, 'POST', '/api/v1/notifications/not-an-id/read', { token: alice })).status,
    ).toBe(400);
    expect(
      (await request(writeUrl, 'POST', '/api/v1/notifications/read', { token: alice, body: { upTo: 'all' } }))
        .body.error?.code,
    ).toBe('VALIDATION_FAILED');
    expect((await request(writeUrl, 'POST', '/api/v1/notifications/read')).status).toBe(401);
  });

  it('streams a buyer’s reservation outcome within a second of its decision, and resumes exactly after Last-Event-ID', async () => {
    const first = await stream('', bearer('carol'));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    await new Promise((r) => setTimeout(r, 300)); // the stream has joined the feed
    await reservationOutcome('dave', 0); // someone else's: never on carol's stream
    const decidedAt = Date.now();
    const position = await reservationOutcome('carol', 0);
    const [received] = await first.until(1, 5000);
    expect(received!.at - decidedAt).toBeLessThan(1000);
    expect(received!.event).toBe('notification');
    const data = JSON.parse(received!.data) as Expected & { cursor: string; userId: string };
    expect(data).toMatchObject({
      userId: 'carol',
      kind: 'RESERVATION_SUCCEEDED',
      position: position.toString(),
    });
    expect(received!.id).toBe(data.cursor);
    first.close();

    // Missed while away: two more (and one of dave's).
    await reservationOutcome('carol', 1);
    await reservationOutcome('dave', 1);
    const missedHead = await reservationOutcome('carol', 2);
    const missed = (await listAll('carol', missedHead)).slice(0, 2).reverse();
    const second = await stream('', { ...bearer('carol'), 'Last-Event-ID': received!.id! });
    const replayed = await second.until(2, 5000);
    expect(replayed.map((e) => e.id)).toEqual(missed.map((n) => `${n.position}-${n.notificationId}`));
    // Then live, exactly once each.
    const live = await reservationOutcome('carol', 3);
    const [, , third] = await second.until(3, 5000);
    expect((JSON.parse(third!.data) as Expected).position).toBe(live.toString());
    await new Promise((r) => setTimeout(r, 500));
    expect(second.events).toHaveLength(3);
    expect(new Set(second.events.map((e) => e.id)).size).toBe(3);
    // Heartbeats: comment lines while nothing happens.
    await new Promise((r) => setTimeout(r, 1200));
    expect(second.comments.length).toBeGreaterThan(0);
    second.close();
  });

  it('admits EventSource with a short-lived ticket and lastEventId, and refuses what is not a credential', async () => {
    const position = await reservationOutcome('erin', 0);
    const [firstOne] = await listAll('erin', position);
    await reservationOutcome('erin', 1);
    const head = await reservationOutcome('erin', 2);
    await listAll('erin', head);
    const issued = await request(readUrl, 'POST', '/api/v1/notifications/stream-tickets', {
      token: tokenFor('erin'),
    });
    expect(issued.status).toBe(200);
    expect(issued.body.expiresIn).toBe(60);
    const ticket = String(issued.body.ticket);
    const cursor = `${firstOne!.position}-${firstOne!.notificationId}`;
    const viaTicket = await stream(`?ticket=${encodeURIComponent(ticket)}&lastEventId=${cursor}`);
    expect(viaTicket.status).toBe(200);
    expect(
      (await viaTicket.until(2, 5000)).map((e) => (JSON.parse(e.data) as { userId: string }).userId),
    ).toEqual(['erin', 'erin']);
    viaTicket.close();

    // A ticket is no bearer token, a bearer token no ticket; a ticket mints no ticket.
    expect((await request(readUrl, 'GET', '/api/v1/notifications', { token: ticket })).status).toBe(401);
    const asTicket = await stream(`?ticket=${encodeURIComponent(tokenFor('erin'))}`);
    expect([asTicket.status, (asTicket.error as { error: { code: string } }).error.code]).toEqual([
      401,
      'UNAUTHENTICATED',
    ]);
    expect(
      (await request(readUrl, 'POST', '/api/v1/notifications/stream-tickets', { token: ticket })).status,
    ).toBe(401);
    expect((await stream('')).status).toBe(401);
    const badResume = await stream('', { ...bearer('erin'), 'Last-Event-ID': 'yesterday' });
    expect(badResume.status).toBe(400);
  });

  it('holds at most the configured streams per buyer, and admits another once one closes', async () => {
    const streams: SseStream[] = [await stream('', bearer('frank')), await stream('', bearer('frank'))];
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    const third = await stream('', bearer('frank'));
    expect(third.status).toBe(429);
    expect((third.error as { error: { code: string } }).error.code).toBe('TOO_MANY_STREAMS');
    expect(third.headers.get('retry-after')).toBe('5');
    expect((await stream('', bearer('grace'))).status).toBe(200);
    streams[0]!.close();
    let again: SseStream | undefined;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await stream('', bearer('frank'));
    }
    expect(again?.status).toBe(200);
    again?.close();
    streams[1]!.close();
  });

  it('equals the event-store truth live and after replays into 2 and 3 shards; streams resume across the rebuild', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `replay-${String(i)}`);
    for (let round = 0; round < 3; round++)
      await Promise.all(
        users.map(async (userId, i) => {
          await reservationOutcome(userId, round + i);
          if ((i + round) % 5 === 0) await orderExpiry(userId);
        }),
      );
    // Read marks of some buyers: one by id, some "up to" the second newest.
    const head = await store.headPosition();
    await Promise.all(
      users.slice(0, 20).map(async (userId, i) => {
        const items = await listAll(userId, head);
        const token = tokenFor(userId);
        if (i % 2 === 0)
          await request(
            writeUrl,
            'POST',
            `/api/v1/notifications/${items[items.length - 1]!.notificationId}/read`,
            {
              token,
            },
          );
        else
          await request(writeUrl, 'POST', '/api/v1/notifications/read', {
            token,
            body: { upTo: `${items[1]!.position}-${items[1]!.notificationId}` },
          });
      }),
    );
    expect(await checkEveryAnswer()).toBeGreaterThan(120);

    const watcher = await stream('', bearer('replay-0'));
    await new Promise((r) => setTimeout(r, 300));
    await reservationOutcome('replay-0', 0);
    const [seen] = await watcher.until(1, 5000);

    const replay = new Replay(
      store,
      app.container.get(MySqlReadCatalog),
      app.container.get(MySqlReadShards),
      app.container.get(ProjectionWriter),
    );
    for (const shards of [2, 3]) {
      const report = await replay.run(
        PROJECTIONS.notifications,
        { shards, partitions: PARTITIONS, workers: 2, dryRun: false },
        () => undefined,
      );
      expect(report.shards).toBe(shards);
      expect(report.deadLetters).toBe(0);
      expect(report.perShard.every((n) => n > 0)).toBe(true);
      await new Promise((r) => setTimeout(r, 1100));
      await checkEveryAnswer();
    }

    // The stream was closed when its read model was replaced; resumed, it gets exactly what it missed.
    await watcher.ended;
    const missed = await reservationOutcome('replay-0', 1);
    await listAll('replay-0', missed);
    const resumed = await stream('', { ...bearer('replay-0'), 'Last-Event-ID': seen!.id! });
    const [again] = await resumed.until(1, 5000);
    expect((JSON.parse(again!.data) as Expected).position).toBe(missed.toString());
    resumed.close();
  }, 300_000);
});
