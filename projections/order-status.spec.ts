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
});
