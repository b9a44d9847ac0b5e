import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../commands/event-store-port';
import { InvalidInputError } from '../commands/invalid-input-error';
import { TOKENS } from '../bin/tokens';
import { request, tokenFor } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

const event = (schemaVersion = 1): EventToAppend => ({
  type: 'Probe',
  schemaVersion,
  data: { at: Date.now() },
  metadata: {
    eventId: randomUUID(),
    correlationId: 'isolation',
    causationId: 'isolation',
    userId: 'test',
    occurredAt: new Date().toISOString(),
  },
});

/** Usernames that break the rule in the ways seen in the field, and one that normalises to a real account. */
const HOSTILE_USERNAMES = [
  'ａｄｍｉｎ', // full-width: normalises to `admin`, a real account, so a wrong password (401)
  'аdmin', // Cyrillic а
  'ad\u200bmin', // zero-width space
  'adm\u0000in',
  'admin\u202e',
  '💥💥💥',
  'a'.repeat(65),
  'x\ud800y',
];

/**
 * No request's input changes another request's outcome: values a storage cannot hold are refused for their sender
 * alone, at the edge and again inside the batches that group many callers' reads and appends.
 */
describe('one caller’s input never fails another’s request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('isolates a bad stream id in a batched read, and a bad value in a group commit, to its own caller', async () => {
    const store = h.api.container.get(TOKENS.EventStore);
    const good = Array.from({ length: 20 }, () => `probe-${randomUUID()}`);
    await Promise.all(good.map((streamId) => store.append(streamId, [event()], 'no_stream')));
    // Issued in one turn of the event loop: the store serves them with one query.
    const reads = await Promise.allSettled([
      ...good.map((streamId) => store.readStream(streamId)),
      store.readStream('user-аdmin'),
      store.readStream(`probe-${'x'.repeat(300)}`),
    ]);
    expect(reads.slice(0, 20).every((r) => r.status === 'fulfilled' && r.value.length === 1)).toBe(true);
    for (const bad of reads.slice(20)) {
      expect(bad.status).toBe('rejected');
      expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
    }

    // One group commit: a schema version its column cannot hold (SMALLINT UNSIGNED) and a stream id it cannot hold.
    const appends = await Promise.allSettled([
      ...Array.from({ length: 30 }, () => store.append(`probe-${randomUUID()}`, [event()], 'no_stream')),
      store.append(`probe-${randomUUID()}`, [event(70_000)], 'no_stream'),
      store.append('probe-ü', [event()], 'no_stream'),
    ]);
    expect(appends.slice(0, 30).every((a) => a.status === 'fulfilled')).toBe(true);
    for (const bad of appends.slice(30)) {
      expect(bad.status).toBe('rejected');
      expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
    }
  });

  it('keeps a victim’s logins and replays whole while two connections hammer hostile usernames', async () => {
    const url = h.api.url;
    expect(
      (
        await request(url, 'POST', '/api/v1/users', {
          body: { username: 'victim', password: 'victim-password' },
        })
      ).status,
    ).toBe(201);
    const couponId = await h.createCoupon({ totalStock: 100, perUserLimit: 10 });
    const victim = tokenFor('victim-buyer');
    const placed = await request(url, 'POST', `/api/v1/seckill/${couponId}`, {
      token: victim,
      headers: { 'Idempotency-Key': 'victim-1' },
    });
    expect(placed.status).toBe(201);

    let attacking = true;
    const attackerStatuses = new Map<number, number>();
    const attacker = async () => {
      for (let i = 0; attacking; i++) {
        const username = HOSTILE_USERNAMES[i % HOSTILE_USERNAMES.length]!;
        const path = i % 2 === 0 ? '/api/v1/auth/login' : '/api/v1/users';
        const response = await request(url, 'POST', path, {
          body: { username, password: 'hostile-password' },
        });
        attackerStatuses.set(response.status, (attackerStatuses.get(response.status) ?? 0) + 1);
      }
    };
    const attackers = [attacker(), attacker()];

    const outcomes: number[] = [];
    for (let i = 0; i < 60; i++) {
      const [login, replay] = await Promise.all([
        request(url, 'POST', '/api/v1/auth/login', {
          body: { username: 'victim', password: 'victim-password' },
        }),
        request(url, 'POST', `/api/v1/seckill/${couponId}`, {
          token: victim,
          headers: { 'Idempotency-Key': 'victim-1' },
        }),
      ]);
      outcomes.push(login.status, replay.status);
      expect(replay.body.orderId).toBe(placed.body.orderId);
    }
    attacking = false;
    await Promise.all(attackers);

    expect(outcomes.filter((status) => status !== 200)).toEqual([]);
    // Wrong passwords for `admin` in a row soon meet its login back-off (429): refused, never served.
    expect([...attackerStatuses.keys()].every((status) => [400, 401, 429].includes(status))).toBe(true);
    expect(attackerStatuses.get(400)).toBeGreaterThan(0);
    expect((await request(h.api.opsUrl, 'GET', '/readyz')).status).toBe(200);
  });

  it('applies the username rule the same way at registration and at login', async () => {
    const url = h.api.url;
    expect(
      (
        await request(url, 'POST', '/api/v1/users', {
          body: { username: 'ＷＩＤＥ.user', password: 'wide-password' },
        })
      ).body,
    ).toMatchObject({ username: 'wide.user' });
    for (const spelling of ['wide.user', 'WIDE.USER', 'ｗｉｄｅ.ｕｓｅｒ', '  wide.user  '])
      expect(
        (
          await request(url, 'POST', '/api/v1/auth/login', {
            body: { username: spelling, password: 'wide-password' },
          })
        ).status,
      ).toBe(200);
    for (const username of HOSTILE_USERNAMES.slice(1)) {
      const refused = await request(url, 'POST', '/api/v1/users', {
        body: { username, password: 'hostile-password' },
      });
      expect([refused.status, refused.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(refused.body.error?.details?.issues).toEqual([expect.objectContaining({ path: 'username' })]);
    }
  });
});
