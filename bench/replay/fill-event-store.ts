import { MySqlEventStore } from '../../infra/mysql/mysql-event-store';
import { migrateEventStore } from '../../infra/mysql/event-store-schema';
import { createMySqlPool, ensureDatabase } from '../../infra/mysql/mysql-pool';
import { syntheticHistory } from './synthetic-history';

const WAVE = 5000;

/**
 * Fills an event store through its own append API, a wave of appends at a time (group commit turns each wave into a
 * few multi-row transactions), so the stored rows are byte for byte what the write side writes.
 */
export const fillEventStore = async (
  url: string,
  totalEvents: number,
  progress: (done: number) => void,
): Promise<{ events: number; seconds: number }> => {
  await ensureDatabase(url);
  const pool = createMySqlPool({ url, connectionLimit: 2, lockWaitTimeoutSeconds: 60 });
  await migrateEventStore(pool);
  const store = new MySqlEventStore(pool, { maxBatchAppends: WAVE });
  const started = Date.now();
  let events = 0;
  try {
    for (const wave of syntheticHistory(totalEvents, WAVE)) {
      await Promise.all(wave.map((a) => store.append(a.streamId, a.events, a.expected)));
      events += wave.length;
      progress(events);
    }
  } finally {
    await store.close();
  }
  return { events, seconds: (Date.now() - started) / 1000 };
};
