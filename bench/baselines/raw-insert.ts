import { migrateEventStore } from '../../infra/mysql/event-store-schema';
import { createMySqlPool, ensureDatabase } from '../../infra/mysql/mysql-pool';
import { syntheticHistory } from '../replay/synthetic-history';

const ROWS_PER_INSERT = 100;

export interface RawInsertBaseline {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly rowsPerInsert: number;
}

/**
 * Baseline 4, the ceiling for replay: event-shaped rows (the same synthetic history, serialised as the store does)
 * written with multi-row INSERTs on one connection, autocommit. Only the INSERTs are timed.
 */
export const measureRawInsert = async (url: string, rows: number): Promise<RawInsertBaseline> => {
  await ensureDatabase(url);
  const pool = createMySqlPool({ url, connectionLimit: 1, lockWaitTimeoutSeconds: 60 });
  try {
    await migrateEventStore(pool);
    let position = 0;
    let busyMs = 0;
    for (const wave of syntheticHistory(rows, ROWS_PER_INSERT)) {
      const values = wave.flatMap((append) =>
        append.events.map((event) => {
          position += 1;
          return [
            position,
            append.streamId,
            append.expected === 'no_stream' ? 0 : 1,
            event.metadata.eventId,
            event.type,
            event.schemaVersion,
            JSON.stringify(event.data),
            JSON.stringify(event.metadata),
          ];
        }),
      );
      const started = performance.now();
      await pool.query(
        'INSERT INTO events (global_position, stream_id, stream_revision, event_id, event_type, schema_version, data, metadata) VALUES ?',
        [values],
      );
      busyMs += performance.now() - started;
    }
    return {
      rows: position,
      seconds: busyMs / 1000,
      rowsPerSecond: position / (busyMs / 1000),
      rowsPerInsert: ROWS_PER_INSERT,
    };
  } finally {
    await pool.end();
  }
};
