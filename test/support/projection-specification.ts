import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../commands/event-store-port';
import type { AnyDomainEvent } from '../../domain/domain-events';
import { MySqlReadShards, shardMap } from '../../infra/mysql/mysql-read-shards';
import type { Projection } from '../../projections/projection';
import { ProjectionWriter } from '../../projections/projection-writer';
import {
  tableSuffix,
  type DeadLetter,
  type DeadLetters,
  type Generation,
} from '../../projections/read-model-ports';
import { createTestEnv } from './test-env';

/** Stored events for a spec: each domain event in its stream, with the revision and position the store would give. */
export const storedEvents = (
  events: readonly (readonly [
    streamId: string,
    event: AnyDomainEvent | { type: string; schemaVersion: number; data: unknown },
  ])[],
): RecordedEvent[] => {
  const revisions = new Map<string, bigint>();
  return events.map(([streamId, event], i) => {
    const revision = (revisions.get(streamId) ?? -1n) + 1n;
    revisions.set(streamId, revision);
    return {
      streamId,
      revision,
      position: BigInt(i + 1),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: {
        eventId: randomUUID(),
        correlationId: 'spec',
        causationId: 'spec',
        userId: 'spec',
        occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      },
      recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    };
  });
};

/** A random order of the events, each batch also holding a few events again (redelivery), in random batch sizes. */
const redelivered = (events: readonly RecordedEvent[], seed: number): RecordedEvent[][] => {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shuffled = [...events, ...events.filter(() => random() < 0.5)].sort(() => random() - 0.5);
  const batches: RecordedEvent[][] = [];
  for (let i = 0; i < shuffled.length;) {
    const size = 1 + Math.floor(random() * 4);
    batches.push(shuffled.slice(i, i + size));
    i += size;
  }
  return batches;
};

const noDeadLetters: DeadLetters = {
  record: (_generation: Generation, letters: readonly DeadLetter[]) => {
    if (letters.length > 0) throw new Error(`the projection set aside ${String(letters.length)} events`);
    return Promise.resolve();
  },
  count: () => Promise.resolve(0),
  list: () => Promise.resolve([]),
};

/**
 * Given/when/then for a projection, on real MariaDB, without relay or bus: *given* stored events, the projection
 * applies them (in order; then all of them again; then, into a fresh generation, shuffled and partly duplicated in
 * random batches), and *then* each time the rows a query reads are the same expected rows: its idempotence and
 * order-insensitivity, in seconds.
 */
export const ProjectionSpecification = {
  for: (projection: Projection, options: { shards: number } = { shards: 2 }) => ({
    given: (events: readonly RecordedEvent[]) => ({
      then: async (
        read: (
          query: (sql: string, values?: readonly unknown[]) => Promise<Record<string, unknown>[]>,
          suffix: string,
        ) => Promise<unknown>,
        expected: unknown,
      ): Promise<void> => {
        const env = createTestEnv();
        const shards = new MySqlReadShards(shardMap(env.config.read.databaseUrl, []), 4);
        const writer = new ProjectionWriter(shards, noDeadLetters);
        try {
          const rowsOf = async (generation: Generation) => {
            const suffix = tableSuffix(generation.generation);
            const query = async (sql: string, values: readonly unknown[] = []) =>
              (
                await Promise.all(
                  Array.from({ length: generation.shards }, (_, shard) =>
                    shards.query<Record<string, unknown>>(shard, sql, values),
                  ),
                )
              ).flat();
            return read(query, suffix);
          };
          const build = async (generationNumber: number, batches: readonly (readonly RecordedEvent[])[]) => {
            const generation: Generation = {
              projection: projection.name,
              generation: generationNumber,
              shards: options.shards,
              partitions: 1,
              state: 'live',
            };
            await shards.ensureTables(generation, projection.ddl(tableSuffix(generationNumber)));
            for (const events of batches)
              await writer.write(projection, generation, [
                { partition: 0, epoch: null, events, applied: [] },
              ]);
            return generation;
          };
          const inOrder = await build(1, [events]);
          expect(await rowsOf(inOrder)).toEqual(expected);
          await build(1, [events]);
          expect(await rowsOf(inOrder)).toEqual(expected);
          for (const seed of [7, 42]) {
            const shuffled = await build(seed, redelivered(events, seed));
            expect(await rowsOf(shuffled)).toEqual(expected);
          }
        } finally {
          await shards.close();
          await env.cleanup();
        }
      },
    }),
  }),
};
