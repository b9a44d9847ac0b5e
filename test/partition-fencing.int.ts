import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { startRoles, type RunningProcess } from '../bin/process';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards } from '../infra/mysql/mysql-read-shards';
import { spansOf } from '../projections/checkpoint-frontier';
import { sequence } from '../projections/event-bus-port';
import { routesOf } from '../projections/partitioning';
import { couponsProjection } from '../projections/coupons/coupons-projection';
import { couponsTable } from '../projections/coupons/coupons-tables';
import { ProjectionWriter } from '../projections/projection-writer';
import { FencedError, tableSuffix, type Generation } from '../projections/read-model-ports';
import { HISTORY } from './projections/history';
import { createTestEnv, type TestEnv } from './support/test-env';

const PARTITIONS = 4;

/**
 * The two guarantees that let replicas write side by side with nothing shared between them: a stale owner's late batch
 * is refused (fencing), and a transaction of one partition never waits for another partition's.
 */
describe('partition checkpoints on MariaDB: fencing and independent writers', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let writer: ProjectionWriter;
  let shards: MySqlReadShards;
  let generation: Generation;
  /** HISTORY's coupon events, linked as the relay would publish them, by partition. */
  const byPartition = new Map<number, ReturnType<typeof sequence>>();

  beforeAll(async () => {
    env = createTestEnv({ COUPONKILL_PROJECTION_PARTITIONS: String(PARTITIONS) });
    app = await startRoles(env.config, { readApi: 0 }, 'all-in-one');
    writer = app.container.get(ProjectionWriter);
    shards = app.container.get(MySqlReadShards);
    generation = await app.container.get(MySqlReadCatalog).startBuilding('coupons', 1, PARTITIONS);
    await shards.ensureTables(generation, couponsProjection.ddl(tableSuffix(generation.generation)));
    const events = new Map<number, typeof HISTORY>();
    for (const event of HISTORY)
      for (const [, partition] of routesOf([couponsProjection], event, PARTITIONS))
        events.set(partition, [...(events.get(partition) ?? []), event]);
    for (const [partition, list] of events) byPartition.set(partition, sequence(list, 0n));
  });
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  const batchOf = (partition: number, epoch: number | null) => {
    const linked = byPartition.get(partition) ?? [];
    return {
      partition,
      epoch,
      events: linked.flatMap((m) => (m.event ? [m.event] : [])),
      applied: spansOf(linked),
    };
  };
  const couponRows = async () =>
    (
      await shards.query<RowDataPacket>(
        0,
        `SELECT coupon_id, placed, cancelled, used FROM ${couponsTable(tableSuffix(generation.generation))}`,
      )
    ).length;

  it('refuses the late batch of a partition’s previous owner once the new owner fenced it, and writes nothing', async () => {
    const [partition] = [...byPartition.keys()];
    // Owner A took the lease at epoch 1 and started a batch; A stalls, its lease lapses, B claims at epoch 2.
    await shards.fence(generation, partition!, 1);
    await shards.fence(generation, partition!, 2);
    const rowsBefore = await couponRows();
    const error = await writer
      .write(couponsProjection, generation, [batchOf(partition!, 1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FencedError);
    expect((error as FencedError).partitions).toEqual([partition]);
    expect(await couponRows()).toBe(rowsBefore);
    expect((await writer.checkpoints(generation)).get(partition!)).toBe(0n);

    // B's own batch goes through; a fence can never be lowered again by a stale owner.
    await writer.write(couponsProjection, generation, [batchOf(partition!, 2)]);
    const head = byPartition.get(partition!)!.at(-1)!.position;
    expect((await writer.checkpoints(generation)).get(partition!)).toBe(head);
    await shards.fence(generation, partition!, 1);
    await expect(
      writer.write(couponsProjection, generation, [batchOf(partition!, 1)]),
    ).rejects.toBeInstanceOf(FencedError);
  });

  it('lets one partition’s writer commit while another partition’s checkpoint row is locked', async () => {
    const [blocked, free] = [...byPartition.keys()].slice(-2) as [number, number];
    expect(blocked).not.toBe(free);
    const before = await writer.checkpoints(generation);
    const connection = await createConnection({ uri: `${env.config.read.databaseUrl}_0` });
    try {
      // Replica A is in the middle of a long transaction on its partition's checkpoint row.
      await connection.beginTransaction();
      const [locked] = await connection.query<RowDataPacket[]>(
        `SELECT position FROM projection_partition_checkpoints
         WHERE projection = 'coupons' AND generation = ? AND partition_no = ? FOR UPDATE`,
        [generation.generation, blocked],
      );
      expect(locked).toHaveLength(1);
      const aWrite = writer.write(couponsProjection, generation, [batchOf(blocked, null)]);
      // Replica B, on another partition, commits regardless, more than once.
      const started = Date.now();
      await writer.write(couponsProjection, generation, [batchOf(free, null)]);
      await writer.write(couponsProjection, generation, [batchOf(free, null)]);
      expect(Date.now() - started).toBeLessThan(5000);
      const head = byPartition.get(free)!.at(-1)!.position;
      expect((await writer.checkpoints(generation)).get(free)).toBe(head);
      expect((await writer.checkpoints(generation)).get(blocked)).toBe(before.get(blocked));
      await connection.rollback();
      await aWrite;
      expect((await writer.checkpoints(generation)).get(blocked)).toBe(
        byPartition.get(blocked)!.at(-1)!.position,
      );
    } finally {
      await connection.end();
    }
  });
});
