import { ReadModelMissingError, type LiveReadModels, type Row } from '../live-read-models';
import { tableSuffix } from '../read-model-ports';
import { ordersTable } from './orders-tables';

/** Where a walk through one shard's due orders has got to: the (valid_until, order_id) of the last one read. */
interface DueKey {
  readonly validUntil: Date;
  readonly orderId: string;
}

/** An order the expiry process should look at, as the orders read model last saw it. */
export interface DueOrder {
  readonly orderId: string;
  readonly validUntil: Date;
}

export type DueKind = 'expiry' | 'notice';

/**
 * The orders read model as the expiry process's index of due orders. Every shard of the live generation is walked
 * in (valid_until, order_id) order by keyset, a page at a time, through an index that holds exactly the orders
 * wanted: `expiry`, placed orders whose validity ended by `now` (KEY due_expiry: status, valid_until); `notice`,
 * placed orders never noticed whose validity ends in (now, now + lead] (KEY due_notice: status, expiry_noticed_at,
 * valid_until). A sweep reads the orders it acts on and a page more, never the log, however long the history.
 *
 * The read model may lag the event store: an order it still shows placed may have been used, cancelled or expired
 * since. The process decides on the order's stream, never on this view, so a stale row costs one stream read and
 * changes nothing.
 */
export class DueOrders {
  constructor(private readonly models: LiveReadModels) {}

  /** The live generation's shard count, or null when the orders read model has not been built yet. */
  async shards(): Promise<number | null> {
    try {
      return (await this.models.generation('orders')).shards;
    } catch (error) {
      if (error instanceof ReadModelMissingError) return null;
      throw error;
    }
  }

  /**
   * Every due order of `kind` in every shard, `pageSize` rows per query, handed to `handle` page by page (a page
   * is handled before the next is read). Resolves with how many were handed over.
   */
  async walk(
    kind: DueKind,
    now: Date,
    leadMs: number,
    pageSize: number,
    handle: (page: readonly DueOrder[]) => Promise<void>,
  ): Promise<number> {
    const generation = await this.models.generation('orders');
    const table = ordersTable(tableSuffix(generation.generation));
    const until = kind === 'expiry' ? now : new Date(now.getTime() + leadMs);
    let seen = 0;
    for (let shard = 0; shard < generation.shards; shard++) {
      for (let after: DueKey | null = null; ;) {
        const conditions =
          kind === 'expiry'
            ? ["status = 'PLACED'", 'valid_until <= ?']
            : ["status = 'PLACED'", 'expiry_noticed_at IS NULL', 'valid_until > ?', 'valid_until <= ?'];
        const values: unknown[] = kind === 'expiry' ? [until] : [now, until];
        if (after) {
          conditions.push('(valid_until > ? OR (valid_until = ? AND order_id > ?))');
          values.push(after.validUntil, after.validUntil, after.orderId);
        }
        const rows = await this.models.shards.query<Row>(
          shard,
          `SELECT order_id, valid_until FROM ${table} FORCE INDEX (${kind === 'expiry' ? 'due_expiry' : 'due_notice'})
           WHERE ${conditions.join(' AND ')} ORDER BY valid_until, order_id LIMIT ?`,
          [...values, pageSize],
        );
        const page = rows.map((r) => ({
          orderId: String(r.order_id),
          validUntil: r.valid_until instanceof Date ? r.valid_until : new Date(String(r.valid_until)),
        }));
        if (page.length > 0) await handle(page);
        seen += page.length;
        const last = page.at(-1);
        if (!last || page.length < pageSize) break;
        after = { validUntil: last.validUntil, orderId: last.orderId };
      }
    }
    return seen;
  }
}
