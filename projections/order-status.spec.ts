import type { RecordedEvent } from '../commands/event-store-port';
import { decodeRecorded } from '../commands/stored-events';
import { counterDeltas, ordersInBatch, type OrderTransition } from './order-status';

const orderEvent = (type: string, orderId: string, revision: number, position: number): RecordedEvent => ({
  streamId: `order-${orderId}`,
  revision: BigInt(revision),
  position: BigInt(position),
  type,
  schemaVersion: 1,
  data: { orderId, couponId: 'c1', userId: 'u1', placedAt: '2026-01-01T00:00:00.000Z' },
  metadata: {
    eventId: `${orderId}-${revision}`,
    correlationId: 'c',
    causationId: 'c',
    userId: 'u1',
    occurredAt: '',
  },
  recordedAt: new Date(position * 1000),
});

describe('orders in a batch', () => {
  it('keeps one entry per order: the newest event wins in any arrival order, the placing time is kept', () => {
    const placed = orderEvent('OrderPlaced', 'o1', 0, 5);
    const cancelled = orderEvent('OrderCancelled', 'o1', 1, 9);
    for (const batch of [
      [placed, cancelled],
      [cancelled, placed, placed],
    ]) {
      const [order] = ordersInBatch(batch.map(decodeRecorded));
      expect(order).toMatchObject({ revision: 1n, position: 9n, recordedAt: new Date(9000) });
      expect(order?.facts.status).toBe('CANCELLED');
      expect(order?.placedAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    }
  });

  it('ignores events that say nothing about an order', () => {
    expect(ordersInBatch([decodeRecorded(orderEvent('SeckillAbandoned', 'o2', 0, 3))])).toEqual([]);
  });

  it('moves counters once per order whose status changed, netted per key', () => {
    const transition = (
      orderId: string,
      before: OrderTransition['before'],
      after: OrderTransition['after'],
    ) =>
      ({ facts: { orderId, couponId: 'c1', userId: 'u1', status: after }, before, after }) as OrderTransition;
    const deltas = counterDeltas(
      [
        transition('a', null, 'PLACED'),
        transition('b', 'PLACED', 'CANCELLED'),
        transition('c', 'USED', 'USED'),
      ],
      (f) => f.couponId,
    );
    expect([...deltas.values()].map((d) => d.counts)).toEqual([
      { placed: 0, cancelled: 1, used: 0, expired: 0 },
    ]);
  });

  it('takes an expiry as the EXPIRED status and a notice as still placed, keeping what each event fixed', () => {
    const ref = { orderId: 'o3', couponId: 'c1', userId: 'u1' };
    const event = (type: string, revision: number, schemaVersion: number, data: object): RecordedEvent => ({
      ...orderEvent(type, 'o3', revision, revision + 1),
      schemaVersion,
      data: { ...ref, ...data },
    });
    const placed = event('OrderPlaced', 0, 2, {
      placedAt: '2026-01-01T00:00:00.000Z',
      idempotencyKey: null,
      couponType: 'REGULAR',
      minSpendCents: 500,
      validUntil: '2026-01-02T00:00:00.000Z',
    });
    const noticed = event('OrderExpiryNoticed', 1, 1, {
      noticedAt: '2026-01-01T23:00:00.000Z',
      validUntil: '2026-01-02T00:00:00.000Z',
    });
    const expired = event('OrderExpired', 2, 1, {
      expiredAt: '2026-01-02T00:00:01.000Z',
      validUntil: '2026-01-02T00:00:00.000Z',
    });
    for (const batch of [
      [placed, noticed, expired],
      [expired, noticed, placed],
    ]) {
      const [order] = ordersInBatch(batch.map(decodeRecorded));
      expect(order).toMatchObject({
        revision: 2n,
        facts: { ...ref, status: 'EXPIRED' },
        placed: {
          couponType: 'REGULAR',
          minSpendCents: 500,
          validUntil: new Date('2026-01-02T00:00:00.000Z'),
        },
        expiredAt: new Date('2026-01-02T00:00:01.000Z'),
        noticedAt: new Date('2026-01-01T23:00:00.000Z'),
      });
    }
    const [onlyNoticed] = ordersInBatch([placed, noticed].map(decodeRecorded));
    expect(onlyNoticed?.facts.status).toBe('PLACED');
  });

  it('counts an expiry once, as expired instead of placed', () => {
    const transition = { facts: { orderId: 'x', couponId: 'c1', userId: 'u1', status: 'EXPIRED' } };
    const deltas = counterDeltas(
      [{ ...transition, before: 'PLACED', after: 'EXPIRED' } as OrderTransition],
      (f) => f.couponId,
    );
    expect([...deltas.values()].map((d) => d.counts)).toEqual([
      { placed: -1, cancelled: 0, used: 0, expired: 1 },
    ]);
  });
});
