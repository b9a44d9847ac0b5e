import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from '../commands/event-store-port';
import { decodeRecorded } from '../commands/stored-events';
import { allPartitions, routesOf } from './partitioning';
import { shardOfEvent, type Projection } from './projection';
import type { PartitionBatch, ProjectionWriter } from './projection-writer';
import {
  tableSuffix,
  type DeadLetter,
  type Generation,
  type ReadModelCatalog,
  type ReadShards,
} from './read-model-ports';

/** The shard an event would go to, for the dry run's counts; null for one the projection ignores or cannot decode. */
const shardOfDecodable = (projection: Projection, event: RecordedEvent, shards: number): number | null => {
  try {
    return shardOfEvent(projection, decodeRecorded(event), shards);
  } catch {
    return null;
  }
};

/** How a replay runs. */
export interface ReplayOptions {
  readonly shards: number;
  /** Partitions of the new generation (COUPONKILL_PROJECTION_PARTITIONS): what the projectors will feed it from. */
  readonly partitions: number;
  /** Writers applying disjoint groups of partitions side by side (at most `partitions`). */
  readonly workers: number;
  readonly dryRun: boolean;
}

/**
 * One page of the log for each worker: the events of its partitions, and for each of its partitions the whole page
 * as applied (a replay reads everything, so a partition without events in the page has still seen all of it).
 */
const workerBatches = (
  projection: Projection,
  page: readonly RecordedEvent[],
  after: bigint,
  upTo: bigint,
  partitions: number,
  workers: number,
): PartitionBatch[][] => {
  const events = new Map<number, RecordedEvent[]>();
  for (const event of page)
    for (const [, partition] of routesOf([projection], event, partitions)) {
      const share = events.get(partition);
      if (share) share.push(event);
      else events.set(partition, [event]);
    }
  const batches: PartitionBatch[][] = Array.from({ length: workers }, () => []);
  for (const partition of allPartitions(partitions))
    batches[partition % workers]?.push({
      partition,
      epoch: null,
      events: events.get(partition) ?? [],
      applied: [{ after, upTo }],
    });
  return batches;
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
  readonly partitions: number;
  readonly workers: number;
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
    options: ReplayOptions,
    progress: (p: ReplayProgress) => void,
  ): Promise<ReplayReport> {
    const { shards, partitions, dryRun } = options;
    const workers = Math.max(1, Math.min(options.workers, partitions));
    const started = Date.now();
    const perShard = Array.from({ length: shards }, () => 0);
    const generation = dryRun ? null : await this.catalog.startBuilding(projection.name, shards, partitions);
    if (generation)
      await this.shards.ensureTables(generation, projection.ddl(tableSuffix(generation.generation)));
    let events = 0;
    const dead: DeadLetter[] = [];
    let total = Number(await this.store.headPosition());
    try {
      let after = 0n;
      let next = this.store.readAll(after, PAGE);
      for (;;) {
        const page = await next;
        if (page.length === 0) break;
        const upTo = page[page.length - 1]?.position ?? after;
        // The next page is read while this one is written.
        next = this.store.readAll(upTo, PAGE);
        for (const event of page) {
          const shard = shardOfDecodable(projection, event, shards);
          if (shard !== null) perShard[shard] = (perShard[shard] ?? 0) + 1;
        }
        if (generation) dead.push(...(await this.write(projection, generation, page, after, upTo, workers)));
        events += page.length;
        after = upTo;
        total = Math.max(total, Number(after));
        progress({ projection: projection.name, done: Number(after), total });
      }
      await next.catch(() => undefined);
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
      partitions,
      workers,
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

  /** A page, each worker's partitions side by side: their rows and checkpoint rows never overlap. */
  private async write(
    projection: Projection,
    generation: Generation,
    page: readonly RecordedEvent[],
    after: bigint,
    upTo: bigint,
    workers: number,
  ): Promise<DeadLetter[]> {
    const batches = workerBatches(projection, page, after, upTo, generation.partitions, workers);
    const dead = await Promise.all(batches.map((batch) => this.writer.write(projection, generation, batch)));
    return dead.flat();
  }
}
