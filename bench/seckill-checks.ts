import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createConnection, type RowDataPacket } from 'mysql2/promise';

export interface SeckillCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface SeckillFacts {
  readonly eventStoreUrl: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly couponId: string;
  readonly stock: number;
  readonly perUserLimit: number;
  /** Distinct buyers who clicked, and the 201s they got, as the load generator saw them. */
  readonly distinctBuyers: number;
  readonly accepted: number;
}

const GATE_SETTLE_MS = 12_000;

/**
 * The invariants a fast run must not have bought with wrong answers: orders = min(stock, distinct buyers), nobody over
 * the per-user limit, every 201 durable, and the gate's sold count equal to the event store's once reservations settle.
 */
export const checkSeckill = async (facts: SeckillFacts): Promise<SeckillCheck[]> => {
  const store = await createConnection({ uri: facts.eventStoreUrl });
  try {
    const [placedRows] = await store.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS orders, COUNT(DISTINCT JSON_VALUE(data, '$.userId')) AS buyers FROM events
       WHERE event_type = 'OrderPlaced' AND JSON_VALUE(data, '$.couponId') = ?`,
      [facts.couponId],
    );
    const [overLimit] = await store.query<RowDataPacket[]>(
      `SELECT JSON_VALUE(data, '$.userId') AS user_id, COUNT(*) AS orders FROM events
       WHERE event_type = 'OrderPlaced' AND JSON_VALUE(data, '$.couponId') = ? GROUP BY 1 HAVING COUNT(*) > ? LIMIT 5`,
      [facts.couponId, facts.perUserLimit],
    );
    const [abandonedRows] = await store.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM events WHERE event_type = 'SeckillAbandoned' AND JSON_VALUE(data, '$.couponId') = ?`,
      [facts.couponId],
    );
    const orders = Number(placedRows[0]?.orders ?? 0);
    const abandoned = Number(abandonedRows[0]?.n ?? 0);
    const expected = Math.min(facts.stock, facts.distinctBuyers);
    const sold = await settledGateSold(facts, orders);
    return [
      {
        name: 'orders = min(stock, distinct buyers)',
        passed: orders === expected,
        detail: `${orders} orders, stock ${facts.stock}, ${facts.distinctBuyers} distinct buyers (${abandoned} abandoned)`,
      },
      {
        name: 'no buyer over the per-user limit',
        passed: overLimit.length === 0,
        detail:
          overLimit.length === 0
            ? `limit ${facts.perUserLimit}`
            : overLimit.map((r) => `${String(r.user_id)}: ${String(r.orders)}`).join(', '),
      },
      {
        name: 'every 201 is in the event store',
        passed: facts.accepted <= orders,
        detail: `${facts.accepted} answered 201, ${orders} stored`,
      },
      {
        name: 'gate sold = event-store orders',
        passed: sold === orders,
        detail: `gate says ${String(sold)} sold`,
      },
    ];
  } finally {
    await store.end();
  }
};

/** The gate counts reservations whose appends may still be settling; give the reconciler its grace period. */
const settledGateSold = async (facts: SeckillFacts, orders: number): Promise<number | null> => {
  const redis = new Redis(facts.redisUrl);
  try {
    const deadline = Date.now() + GATE_SETTLE_MS;
    for (;;) {
      const sold = await redis.hget(`${facts.keyPrefix}:{${facts.couponId}}:meta`, 'sold');
      const value = sold === null ? null : Number(sold);
      if (value === orders || Date.now() > deadline) return value;
      await sleep(250);
    }
  } finally {
    redis.disconnect();
  }
};
