import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECTION_NAMES } from '../../projections/projection';
import type { ScalingBuild } from './scaling-build';
import { startRole, type RoleSpec } from './start-role';

const POLL_MS = 200;
/** Both builds name the relay's checkpoint row so (bin/bindings/read-side.ts, projections/read-side-bindings.ts). */
const RELAY_CHECKPOINT = 'default';
/** The catalog database or its table before the relay has made them. */
const NOT_YET_THERE = new Set(['ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE']);

/** Where a configuration keeps its data: the MariaDB server, the event store's and the read catalog's databases. */
export interface ScalingDatabases {
  readonly mysqlUrl: string;
  readonly eventsDb: string;
  readonly catalogDb: string;
}

/** The store's head position: the number of events in it, since positions are gap-free from 1. */
export const storeHead = async (mysqlUrl: string, eventsDb: string): Promise<bigint> => {
  const connection = await createConnection({ uri: mysqlUrl });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT last_position FROM \`${eventsDb}\`.event_log_head WHERE id = 1`,
    );
    return BigInt(String(rows[0]?.last_position ?? '0'));
  } finally {
    await connection.end();
  }
};

interface RelayProgress {
  readonly position: bigint;
  /** Per projection and partition, the last position the relay published there; null for the one-stream design. */
  readonly heads: readonly bigint[] | null;
}

/**
 * The relay's saved checkpoint. Both designs keep `position` (the last position published); the partitioned one also
 * keeps `heads` (JSON `{ partitions, heads: { "<projection>/<p>": "<position>" } }`): a partition is complete up to the
 * head only once its own head, set by an event or by a watermark, has reached it.
 */
const relayProgress = async (connection: Connection, catalogDb: string): Promise<RelayProgress | null> => {
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT * FROM \`${catalogDb}\`.relay_checkpoints WHERE name = ?`,
      [RELAY_CHECKPOINT],
    );
    const row = rows[0];
    if (!row) return null;
    const heads =
      typeof row.heads === 'string'
        ? Object.values((JSON.parse(row.heads) as { heads: Record<string, string> }).heads).map(BigInt)
        : null;
    return { position: BigInt(String(row.position)), heads };
  } catch (error) {
    if (NOT_YET_THERE.has((error as { code?: string }).code ?? '')) return null;
    throw error;
  }
};

/** Everything up to `head` is on the bus, in every partition of every projection's stream when there are partitions. */
const caughtUp = (progress: RelayProgress | null, head: bigint, partitions: number | null): boolean => {
  if (!progress || progress.position < head) return false;
  if (partitions === null) return true;
  const heads = progress.heads ?? [];
  return heads.length === PROJECTION_NAMES.length * partitions && heads.every((h) => h >= head);
};

/**
 * Runs the build's relay until the whole store (up to `head`) is on the bus, as its checkpoint in the read catalog
 * says, then stops it: the projectors started next find the full backlog waiting and are saturated from the start.
 * Returns the seconds it took (s) and the relay's peak RSS (bytes).
 */
export const publishBacklog = async (
  build: ScalingBuild,
  spec: Omit<RoleSpec, 'role'>,
  databases: ScalingDatabases,
  head: bigint,
  timeoutMs: number,
): Promise<{ seconds: number; peakRssBytes: number }> => {
  const started = Date.now();
  const relay = startRole(build, { ...spec, role: 'relay' });
  // Set when the relay exits: a relay that dies would otherwise be waited for until the timeout.
  const status = { exited: false };
  void relay.exited.then(() => (status.exited = true));
  const connection = await createConnection({ uri: databases.mysqlUrl });
  try {
    while (!caughtUp(await relayProgress(connection, databases.catalogDb), head, build.partitions)) {
      if (status.exited) throw new Error(`${spec.name} exited (see ${spec.logDir}/${spec.name}.log)`);
      if (Date.now() - started > timeoutMs)
        throw new Error(`${spec.name} did not publish ${head} events in ${timeoutMs / 1000} s`);
      await sleep(POLL_MS);
    }
    return { seconds: (Date.now() - started) / 1000, peakRssBytes: relay.peakRssBytes() };
  } finally {
    await connection.end();
    await relay.stop();
  }
};
