import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

/** Per coupon: orders by their current status, and an order-id checksum (XOR of CRC32s, order-insensitive). */
export interface OrderTally {
  placed: number;
  cancelled: number;
  used: number;
  checksum: number;
}

export interface AuditResult {
  readonly equal: boolean;
  readonly coupons: number;
  readonly orders: number;
  readonly mismatches: readonly string[];
}

type Tallies = Map<string, OrderTally>;

const tallyOf = (tallies: Tallies, couponId: string): OrderTally => {
  let tally = tallies.get(couponId);
  if (!tally) tallies.set(couponId, (tally = { placed: 0, cancelled: 0, used: 0, checksum: 0 }));
  return tally;
};

const rowsOf = async (
  connection: Connection,
  sql: string,
  values: unknown[] = [],
): Promise<RowDataPacket[]> => (await connection.query<RowDataPacket[]>(sql, values))[0];

/** What the event store says: an order's status is its last event's (placed, then at most one cancel or use). */
const storeTallies = async (connection: Connection): Promise<Tallies> => {
  const tallies: Tallies = new Map();
  const rows = await rowsOf(
    connection,
    `SELECT JSON_VALUE(data, '$.couponId') AS coupon_id, event_type, COUNT(*) AS n,
       BIT_XOR(CRC32(SUBSTRING(stream_id, 7))) AS checksum
     FROM events WHERE event_type IN ('OrderPlaced', 'OrderCancelled', 'OrderUsed') GROUP BY 1, 2`,
  );
  for (const row of rows) {
    const tally = tallyOf(tallies, String(row.coupon_id));
    const n = Number(row.n);
    if (row.event_type === 'OrderPlaced') {
      tally.placed += n;
      tally.checksum = Number(row.checksum);
    } else if (row.event_type === 'OrderCancelled') {
      tally.placed -= n;
      tally.cancelled += n;
    } else {
      tally.placed -= n;
      tally.used += n;
    }
  }
  return tallies;
};

interface LiveGeneration {
  readonly generation: number;
  readonly shards: number;
}

const liveGenerations = async (catalog: Connection): Promise<Map<string, LiveGeneration>> => {
  const rows = await rowsOf(
    catalog,
    "SELECT projection, generation, shards FROM read_model_generations WHERE state = 'live'",
  );
  return new Map(
    rows.map((r) => [String(r.projection), { generation: Number(r.generation), shards: Number(r.shards) }]),
  );
};

/** Each read model's own tallies, summed over its shards. */
const readModelTallies = async (
  readUrl: string,
  live: Map<string, LiveGeneration>,
): Promise<Record<'orders' | 'coupons' | 'stats', Tallies>> => {
  const result = { orders: new Map(), coupons: new Map(), stats: new Map() } as Record<
    'orders' | 'coupons' | 'stats',
    Tallies
  >;
  const queries = {
    orders: (g: number) =>
      `SELECT coupon_id, SUM(status = 'PLACED') AS placed, SUM(status = 'CANCELLED') AS cancelled,
         SUM(status = 'USED') AS used, BIT_XOR(CRC32(order_id)) AS checksum FROM orders_g${g} GROUP BY coupon_id`,
    coupons: (g: number) =>
      `SELECT coupon_id, placed, cancelled, used, 0 AS checksum FROM coupons_g${g} WHERE placed + cancelled + used > 0`,
    stats: (g: number) =>
      `SELECT coupon_id, SUM(placed) AS placed, SUM(cancelled) AS cancelled, SUM(used) AS used, 0 AS checksum
       FROM user_coupon_stats_g${g} GROUP BY coupon_id`,
  };
  for (const name of ['orders', 'coupons', 'stats'] as const) {
    const generation = live.get(name);
    if (!generation) continue;
    for (let shard = 0; shard < generation.shards; shard++) {
      const connection = await createConnection({ uri: `${readUrl}_${shard}` });
      try {
        for (const row of await rowsOf(connection, queries[name](generation.generation))) {
          const tally = tallyOf(result[name], String(row.coupon_id));
          tally.placed += Number(row.placed);
          tally.cancelled += Number(row.cancelled);
          tally.used += Number(row.used);
          tally.checksum = (tally.checksum ^ Number(row.checksum)) >>> 0;
        }
      } finally {
        await connection.end();
      }
    }
  }
  return result;
};

/** Read models equal the event store: every read model's counts per coupon, and the orders' ids, match. */
export const auditReadModels = async (eventStoreUrl: string, readUrl: string): Promise<AuditResult> => {
  const store = await createConnection({ uri: eventStoreUrl });
  const catalog = await createConnection({ uri: readUrl });
  try {
    const expected = await storeTallies(store);
    const live = await liveGenerations(catalog);
    const actual = await readModelTallies(readUrl, live);
    const mismatches: string[] = [];
    for (const name of ['orders', 'coupons', 'stats'] as const) {
      if (!live.has(name)) mismatches.push(`${name}: no live generation`);
      const couponIds = new Set([...expected.keys(), ...actual[name].keys()]);
      for (const couponId of couponIds) {
        const want = expected.get(couponId) ?? { placed: 0, cancelled: 0, used: 0, checksum: 0 };
        const got = actual[name].get(couponId) ?? { placed: 0, cancelled: 0, used: 0, checksum: 0 };
        const fields: (keyof OrderTally)[] = ['placed', 'cancelled', 'used'];
        if (name === 'orders') fields.push('checksum');
        for (const field of fields)
          if (want[field] !== got[field])
            mismatches.push(
              `${name} coupon ${couponId} ${field}: store ${want[field]}, read model ${got[field]}`,
            );
      }
    }
    const orders = [...expected.values()].reduce((n, t) => n + t.placed + t.cancelled + t.used, 0);
    return {
      equal: mismatches.length === 0,
      coupons: expected.size,
      orders,
      mismatches: mismatches.slice(0, 20),
    };
  } finally {
    await store.end();
    await catalog.end();
  }
};
