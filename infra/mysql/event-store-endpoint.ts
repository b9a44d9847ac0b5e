import type { Pool } from 'mysql2/promise';
import type { EventStore } from '../../commands/event-store-port';
import { migrateEventStore } from './event-store-schema';

/**
 * Checks that a new MySQL endpoint can take over as the event store (a replica promoted after its primary was made
 * read-only or died): it answers, it is writable (`@@global.read_only` is 0: a replica not yet promoted refuses
 * writes), it holds the schema, and its log reaches at least `highestSeen`, the highest position this process saw
 * stored (a replica that had not caught up would lose those events). Rejects with the reason.
 */
export const checkEventStoreEndpoint = async (
  pool: Pool,
  store: EventStore,
  highestSeen: bigint,
): Promise<void> => {
  const [rows] = await pool.query('SELECT @@global.read_only AS readOnly');
  if (Number((rows as { readOnly: number | string }[])[0]?.readOnly ?? 1) !== 0)
    throw new Error('it is read-only (a replica not promoted yet?)');
  await migrateEventStore(pool);
  const head = await store.headPosition();
  if (head < highestSeen)
    throw new Error(
      `its log ends at position ${head.toString()}, before ${highestSeen.toString()}, which this process saw stored: ` +
        'it has not caught up with the old primary',
    );
};
