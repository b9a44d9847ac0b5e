import type { RecordedEvent } from '../commands/event-store-port';
import { keyHash16 } from '../domain/shared/shard-key';
import { aCoupon, couponCreated, orderPlaced } from '../test/support/handler-specification';
import { storedEvents } from '../test/support/projection-specification';
import { advanceFrontier, spansOf } from './checkpoint-frontier';
import type { PartitionMessages } from './event-bus-port';
import { PartitionSequencer } from './partition-sequencer';
import { PROJECTIONS } from './projections';

const PARTITIONS = 4;
const projections = [PROJECTIONS.orders, PROJECTIONS.coupons];
const partitionOf = (key: string) => keyHash16(key) % PARTITIONS;

/** Two buyers in different partitions of the orders stream, both buying one coupon. */
const buyers = (() => {
  const found: string[] = [];
  for (let i = 0; found.length < 2; i++) {
    const user = `u-${String(i)}`;
    if (!found.some((f) => partitionOf(f) === partitionOf(user))) found.push(user);
  }
  return found as [string, string];
})();

const log: RecordedEvent[] = storedEvents([
  ['coupon-c-1', couponCreated(aCoupon())],
  ['order-o-1', orderPlaced({ orderId: 'o-1', couponId: 'c-1', userId: buyers[0] })],
  ['order-o-2', orderPlaced({ orderId: 'o-2', couponId: 'c-1', userId: buyers[1] })],
  ['user-x', { type: 'UserRegistered', schemaVersion: 1, data: { userId: 'x' } }],
  ['order-o-3', orderPlaced({ orderId: 'o-3', couponId: 'c-1', userId: buyers[0] })],
]);

const find = (batch: readonly PartitionMessages[], projection: string, partition: number) =>
  batch.find((m) => m.projection === projection && m.partition === partition)?.messages ?? [];

describe('partition sequencer (the relay’s split of the log)', () => {
  it('sends each event to the partition of its key in each projection that uses it, linked within the partition', () => {
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 1_000_000, null, 0n);
    const { messages } = sequencer.next(log, 5n, 0);
    const first = find(messages, 'orders', partitionOf(buyers[0]));
    expect(first.map((m) => [m.previous, m.position])).toEqual([
      [0n, 2n],
      [2n, 5n],
    ]);
    expect(find(messages, 'orders', partitionOf(buyers[1])).map((m) => [m.previous, m.position])).toEqual([
      [0n, 3n],
    ]);
    // The coupon's partition of the coupons stream gets its creation and every sale of it.
    expect(find(messages, 'coupons', partitionOf('c-1')).map((m) => m.position)).toEqual([1n, 2n, 3n, 5n]);
    // Nobody reads user events: position 4 goes nowhere.
    expect(messages.flatMap((m) => m.messages).some((m) => m.position === 4n)).toBe(false);
  });

  it('gives idle partitions a watermark up to the published position, so their checkpoint reaches the head', () => {
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 0, null, 0n);
    const batch = sequencer.next(log, 5n, 0);
    sequencer.adopt(batch, 0);
    for (const projection of ['orders', 'coupons'])
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const chain = find(batch.messages, projection, partition);
        expect(advanceFrontier(0n, [], spansOf(chain)).frontier).toBe(5n);
      }
    // Nothing new in the log: nothing to say.
    expect(sequencer.watermarks(5n, 10_000).messages).toEqual([]);
    const later = sequencer.watermarks(9n, 10_000);
    expect(later.messages).toHaveLength(2 * PARTITIONS);
    expect(later.messages.every((m) => m.messages[0]?.event === null && m.messages[0].previous === 5n)).toBe(
      true,
    );
  });

  it('waits watermarkMs before telling a partition again', () => {
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 100, null, 0n);
    sequencer.adopt(sequencer.next(log.slice(0, 1), 1n, 1000), 1000);
    expect(sequencer.watermarks(2n, 1050).messages).toEqual([]);
    expect(sequencer.watermarks(2n, 1100).messages.length).toBeGreaterThan(0);
  });

  it('links from the heads it adopted, and from the saved ones again after a failed publish', () => {
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 1_000_000, null, 0n);
    const saved = sequencer.current;
    const first = sequencer.next(log.slice(0, 3), 3n, 0);
    // Not adopted (the bus did not store it): the same batch again gets the same links.
    expect(sequencer.next(log.slice(0, 3), 3n, 0)).toEqual(first);
    sequencer.adopt(first, 0);
    const second = sequencer.next(log.slice(4), 5n, 0);
    expect(find(second.messages, 'orders', partitionOf(buyers[0]))[0]?.previous).toBe(2n);
    sequencer.reset(saved);
    expect(sequencer.next(log.slice(0, 3), 3n, 0)).toEqual(first);
  });

  it('starts partitions without a saved head (or saved under another count) at the position it resumes from', () => {
    const heads = { partitions: 8, heads: new Map([['orders/1', 3n]]) };
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 1_000_000, heads, 3n);
    const { messages } = sequencer.next(log.slice(4), 5n, 0);
    expect(find(messages, 'orders', partitionOf(buyers[0]))[0]?.previous).toBe(3n);
  });

  it('sends an event that does not decode to every projection, in the partition of its stream', () => {
    const [broken] = storedEvents([['coupon-z', { type: 'CouponCreated', schemaVersion: 99, data: {} }]]);
    if (!broken) throw new Error('no event');
    const sequencer = new PartitionSequencer(projections, PARTITIONS, 1_000_000, null, 0n);
    const { messages } = sequencer.next([broken], 1n, 0);
    for (const projection of ['orders', 'coupons'])
      expect(find(messages, projection, partitionOf('coupon-z')).map((m) => m.event?.type)).toEqual([
        'CouponCreated',
      ]);
  });
});
