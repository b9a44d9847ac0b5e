import type { QueuedReservation } from '../../commands/reservation-firing';
import type { ReservationStatus } from '../../domain/reservation/reservation-decider';
import { keyHash16 } from '../../domain/shared/shard-key';
import type { LiveGenerations } from '../live-generations';
import { isoOf, type LiveReadModels, type Row } from '../live-read-models';
import { allPartitions } from '../partitioning';
import { lowestCheckpoint, tableSuffix, type Generation, type ReadShards } from '../read-model-ports';
import { RESERVATION_COLUMNS, reservationsTable } from './reservations-tables';

export interface ReservationView {
  readonly reservationId: string;
  readonly userId: string;
  readonly couponId: string;
  readonly status: ReservationStatus;
  /** The order bought for it: set once SUCCEEDED, else null. */
  readonly orderId: string | null;
  /** The refusal of a FAILED reservation (SOLD_OUT, LIMIT_REACHED…), the reason of an EXPIRED one; else null. */
  readonly code: string | null;
  readonly reservedAt: string | null;
  readonly updatedAt: string;
  /** The event-store position of the reservation's latest event applied. */
  readonly position: string;
}

const toReservation = (r: Row): ReservationView => {
  const status = String(r.status) as ReservationStatus;
  return {
    reservationId: String(r.reservation_id),
    userId: String(r.user_id),
    couponId: String(r.coupon_id),
    status,
    orderId: status === 'SUCCEEDED' && typeof r.order_id === 'string' ? r.order_id : null,
    code: typeof r.code === 'string' ? r.code : null,
    reservedAt: r.reserved_at === null ? null : isoOf(r.reserved_at),
    updatedAt: isoOf(r.updated_at),
    position: String(r.position),
  };
};

/** A reservation id's buyer key hash: its last four hex digits (commands/reservation-ids.ts). */
const keyHashOfReservation = (reservationId: string): number => Number.parseInt(reservationId.slice(-4), 16);

/** Queries of the reservations read model (sharded by buyer; a reservation id names its shard). */
export class ReservationsQueries {
  constructor(private readonly models: LiveReadModels) {}

  async reservation(reservationId: string, minPosition: bigint | null): Promise<ReservationView | null> {
    const generation = await this.models.generation('reservations');
    const key = keyHashOfReservation(reservationId);
    await this.models.waitForKey(generation, key, minPosition);
    const rows = await this.models.shards.query<Row>(
      key % generation.shards,
      `SELECT ${RESERVATION_COLUMNS} FROM ${reservationsTable(tableSuffix(generation.generation))} WHERE reservation_id = ?`,
      [reservationId],
    );
    return rows[0] ? toReservation(rows[0]) : null;
  }

  /** Newest first (by when they were placed); `cursor` is the previous page's `nextCursor`. */
  async userReservations(
    userId: string,
    filter: { status: ReservationStatus | null; cursor: bigint | null; limit: number },
    minPosition: bigint | null,
  ): Promise<{ items: ReservationView[]; nextCursor: string | null }> {
    const generation = await this.models.generation('reservations');
    const key = keyHash16(userId);
    await this.models.waitForKey(generation, key, minPosition);
    const conditions = ['user_id = ?', 'placed_position < ?'];
    const values: unknown[] = [userId, (filter.cursor ?? 2n ** 62n).toString()];
    if (filter.status) {
      conditions.push('status = ?');
      values.push(filter.status);
    }
    const rows = await this.models.shards.query<Row>(
      key % generation.shards,
      `SELECT ${RESERVATION_COLUMNS} FROM ${reservationsTable(tableSuffix(generation.generation))}
       WHERE ${conditions.join(' AND ')} ORDER BY placed_position DESC LIMIT ?`,
      [...values, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(toReservation),
      nextCursor: rows.length > filter.limit && last ? String(last.placed_position) : null,
    };
  }
}

/**
 * The reservation firer's queue: the live (pending or firing) reservations of each coupon in line order, read from
 * every shard of the live generation of the reservations read model, and how far that read model is complete.
 */
export class ReservationQueue {
  constructor(
    private readonly shards: ReadShards,
    private readonly live: Pick<LiveGenerations, 'of'>,
  ) {}

  /** Coupons with live reservations, by the read model; empty while it is not built. */
  async liveCoupons(): Promise<string[]> {
    const generation = await this.live.of('reservations');
    if (!generation) return [];
    const table = reservationsTable(tableSuffix(generation.generation));
    const found = new Set<string>();
    for (const rows of await this.eachShard(generation, (shard) =>
      this.shards.query<Row>(
        shard,
        `SELECT DISTINCT coupon_id FROM ${table} WHERE status IN ('PENDING', 'FIRING')`,
      ),
    ))
      for (const row of rows) found.add(String(row.coupon_id));
    return [...found];
  }

  /** Every event up to this position is applied to the read model, in every shard and partition (0n: none built). */
  async frontier(): Promise<bigint> {
    const generation = await this.live.of('reservations');
    if (!generation) return 0n;
    const partitions = allPartitions(generation.partitions);
    const lowest = await this.eachShard(generation, async (shard) =>
      lowestCheckpoint(await this.shards.checkpoints(generation, shard), partitions),
    );
    return lowest.reduce((a, b) => (b < a ? b : a));
  }

  /** The first `limit` live reservations of the coupon placed after `after` and at or before `upTo`, in line order. */
  async next(couponId: string, after: bigint, upTo: bigint, limit: number): Promise<QueuedReservation[]> {
    const generation = await this.live.of('reservations');
    if (!generation) return [];
    const table = reservationsTable(tableSuffix(generation.generation));
    const pages = await this.eachShard(generation, (shard) =>
      this.shards.query<Row>(
        shard,
        `SELECT reservation_id, coupon_id, user_id, placed_position FROM ${table}
         WHERE coupon_id = ? AND status IN ('PENDING', 'FIRING') AND placed_position > ? AND placed_position <= ?
         ORDER BY placed_position LIMIT ?`,
        [couponId, after.toString(), upTo.toString(), limit],
      ),
    );
    return pages
      .flat()
      .map((r) => ({
        reservationId: String(r.reservation_id),
        couponId: String(r.coupon_id),
        userId: String(r.user_id),
        placedPosition: BigInt(String(r.placed_position)),
      }))
      .sort((a, b) =>
        a.placedPosition < b.placedPosition ? -1 : a.placedPosition > b.placedPosition ? 1 : 0,
      )
      .slice(0, limit);
  }

  private eachShard<T>(generation: Generation, read: (shard: number) => Promise<T>): Promise<T[]> {
    return Promise.all(Array.from({ length: generation.shards }, (_, shard) => read(shard)));
  }
}
