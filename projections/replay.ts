import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from '../commands/event-store-port';
import { decodeRecorded } from '../commands/stored-events';
import { sequence } from './event-bus-port';
import type { Projection } from './projection';
import type { ProjectionWriter } from './projection-writer';
import { tableSuffix, type DeadLetter, type ReadModelCatalog, type ReadShards } from './read-model-ports';

/** The shard an event would go to, for the dry run's counts; null for one the projection ignores or cannot decode. */
const shardOfDecodable = (projection: Projection, event: RecordedEvent, shards: number): number | null => {
  try {
    return projection.shardOf(decodeRecorded(event), shards);
  } catch {
    return null;
  }
};

export interface ReplayProgress {
  readonly projection: string;
  readonly done: number;
  readonly total: number;
}

export interface ReplayReport {
  readonly projection: string;
  readonly generation: number | null;
  readonly shards: number;
  readonly events: number;
  /** Events per shard that the read model keeps (the rest it ignores). */
  readonly perShard: readonly number[];
  readonly seconds: number;
  readonly dryRun: boolean;
  /** Events the projection could not apply and set aside (ARCHITECTURE invariant 11), and the first of them. */
  readonly deadLetters: number;
  readonly firstDeadLetters: readonly { eventId: string; type: string; position: string; reason: string }[];
}

const DEAD_LETTER_SAMPLE = 10;

const PAGE = 2000;
/** Queries cache the live generation for a second; old tables go only after every reader has moved on. */
const RETIRE_AFTER_MS = 2500;

/**
 * Rebuilds a read model from position 0 into a new generation of tables while the live one keeps serving. Running
 * projectors feed the new generation too from the moment it exists, so once the replay has caught up with the head it
 * is complete and is swapped in. With `dryRun` nothing is written: the events are only counted per shard.
 */
export class Replay {
  constructor(
    private readonly store: EventStore,
    private readonly catalog: ReadModelCatalog,
    private readonly shards: ReadShards,
    private readonly writer: ProjectionWriter,
  ) {}

  async run(
    projection: Projection,
    shards: number,
    dryRun: boolean,
    progress: (p: ReplayProgress) => void,
  ): Promise<ReplayReport> {
    const started = Date.now();
    const perShard = Array.from({ length: shards }, () => 0);
    const generation = dryRun ? null : await this.catalog.startBuilding(projection.name, shards);
    if (generation)
      await this.shards.ensureTables(generation, projection.ddl(tableSuffix(generation.generation)));
    let events = 0;
    const dead: DeadLetter[] = [];
    let total = Number(await this.store.headPosition());
    try {
      for (let after = 0n; ;) {
        const page = await this.store.readAll(after, PAGE);
        if (page.length === 0) break;
        for (const event of page) {
          const shard = shardOfDecodable(projection, event, shards);
          if (shard !== null) perShard[shard] = (perShard[shard] ?? 0) + 1;
        }
        if (generation)
          dead.push(...(await this.writer.write(projection, generation, sequence(page, after))));
        events += page.length;
        after = page[page.length - 1]?.position ?? after;
        total = Math.max(total, Number(after));
        progress({ projection: projection.name, done: Number(after), total });
      }
    } catch (error) {
      if (generation) await this.catalog.abandon(generation);
      throw error;
    }
    if (generation) {
      const retired = await this.catalog.promote(generation);
      if (retired) {
        await sleep(RETIRE_AFTER_MS);
        await this.shards.dropTables(retired, projection.tables(tableSuffix(retired.generation)));
      }
    }
    return {
      projection: projection.name,
      generation: generation?.generation ?? null,
      shards,
      events,
      perShard,
      seconds: (Date.now() - started) / 1000,
      dryRun,
      deadLetters: dead.length,
      firstDeadLetters: dead.slice(0, DEAD_LETTER_SAMPLE).map((d) => ({
        eventId: d.eventId,
        type: d.type,
        position: d.position.toString(),
        reason: d.reason,
      })),
    };
  }
}
