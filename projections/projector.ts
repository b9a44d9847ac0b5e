import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../commands/logger-port';
import { spansOf } from './checkpoint-frontier';
import type { BusConsumer, BusMessage, EventBus } from './event-bus-port';
import type { PartitionLeases } from './partition-leases-port';
import { PartitionOwnership } from './partition-ownership';
import type { Projection } from './projection';
import type { PartitionBatch, ProjectionWriter } from './projection-writer';
import {
  FencedError,
  type DeadLetter,
  type Generation,
  type ReadModelCatalog,
  type ReadShards,
} from './read-model-ports';

export interface ProjectorOptions {
  /** This replica's name in its projection's group: unique per process. */
  readonly member: string;
  readonly batchSize: number;
  readonly waitMs: number;
  /** Shards of the first generation, when a read model has none yet. */
  readonly initialShards: number;
  /** Partitions of the projection's stream (COUPONKILL_PROJECTION_PARTITIONS). */
  readonly partitions: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
}

/** Each partition's share of a batch of bus messages, under the epoch its lease gave. */
const partitionBatches = (
  messages: readonly BusMessage[],
  epochs: ReadonlyMap<number, number>,
): PartitionBatch[] => {
  const byPartition = new Map<number, BusMessage[]>();
  for (const message of messages) {
    const share = byPartition.get(message.partition);
    if (share) share.push(message);
    else byPartition.set(message.partition, [message]);
  }
  return [...byPartition].map(([partition, share]) => ({
    partition,
    epoch: epochs.get(partition) ?? null,
    events: share.flatMap((m) => (m.event ? [m.event] : [])),
    applied: spansOf(share),
  }));
};

/**
 * One replica of a read model's projector. It owns some partitions of the projection's stream
 * (PartitionOwnership: leases, fair shares, fencing), consumes exactly those, feeds every generation that is live or
 * being rebuilt with each batch, then acknowledges it. A crash before the ack means redelivery, to whichever replica
 * owns the partition then, which the projections absorb. When ownership changes the consumer is closed (handing back
 * what it held) and reopened on the new set, and only then are withdrawn partitions released.
 */
export class Projector {
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly prepared = new Set<number>();
  private ownership: PartitionOwnership | undefined;
  /** The partitions being consumed and their epochs. */
  private consuming = new Map<number, number>();
  /** The partitions the open consumer reads (a fenced one stays there until the consumer is reopened). */
  private opened: readonly number[] = [];
  private readonly mismatched = new Set<number>();

  constructor(
    private readonly projection: Projection,
    private readonly bus: EventBus,
    private readonly catalog: ReadModelCatalog,
    private readonly shards: ReadShards,
    private readonly writer: ProjectionWriter,
    private readonly leases: PartitionLeases,
    private readonly logger: Logger,
    private options: ProjectorOptions,
    private readonly onDeadLetter: (letter: DeadLetter) => void = () => undefined,
  ) {}

  /** The partitions this replica consumes now (for the metrics and the logs). */
  get partitions(): readonly number[] {
    return [...this.consuming.keys()].sort((a, b) => a - b);
  }

  /** Messages taken per batch from now on (live configuration: COUPONKILL_PROJECTOR_BATCH). */
  setBatchSize(batchSize: number): void {
    this.options = { ...this.options, batchSize };
  }

  /**
   * Joins the projection's group. A live generation built for another partition count is left alone (feeds) until a
   * replay for the configured count replaces it.
   */
  async start(): Promise<void> {
    const { name } = this.projection;
    await this.prepare([
      await this.catalog.ensureLive(name, this.options.initialShards, this.options.partitions),
    ]);
    const ownership = new PartitionOwnership(
      name,
      this.leases,
      (partition, epoch) => this.fence(partition, epoch),
      this.logger,
      {
        member: this.options.member,
        partitions: this.options.partitions,
        leaseMs: this.options.leaseMs,
        heartbeatMs: this.options.heartbeatMs,
      },
    );
    await ownership.start();
    this.ownership = ownership;
    this.running = this.loop(ownership);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(ownership: PartitionOwnership): Promise<void> {
    let consumer: BusConsumer | null = null;
    let seen = -1;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (ownership.changes !== seen) {
          seen = ownership.changes;
          consumer = await this.follow(ownership, consumer);
        }
        if (!consumer) {
          await ownership.nextChange(this.options.waitMs);
          continue;
        }
        const messages = await consumer.receive(this.options.batchSize, this.options.waitMs);
        if (messages.length > 0) {
          const applied = await this.applyUntilDone(messages);
          await consumer.ack(applied);
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        seen = -1; // look at the ownership again on the next round
        this.logger.warn(
          { err: error, projection: this.projection.name, failures },
          'projection could not receive or acknowledge; retrying',
        );
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
    await consumer?.close().catch(() => undefined);
    await ownership.stop();
  }

  /** Reopens the consumer when the owned partitions changed; hands back the ones given up once it is closed. */
  private async follow(
    ownership: PartitionOwnership,
    consumer: BusConsumer | null,
  ): Promise<BusConsumer | null> {
    const owned = ownership.owned;
    const same =
      consumer !== null &&
      owned.size === this.opened.length &&
      this.opened.every((partition) => owned.get(partition) === this.consuming.get(partition));
    if (same) return consumer;
    await consumer?.close();
    const given = this.opened.filter((partition) => !owned.has(partition));
    this.consuming = new Map();
    this.opened = [];
    await ownership.handBack(given);
    if (owned.size === 0) return null;
    const partitions = [...owned.keys()].sort((a, b) => a - b);
    const opened = await this.bus.consumer(this.projection.name, partitions, this.options.member);
    this.consuming = new Map(owned);
    this.opened = partitions;
    return opened;
  }

  /**
   * Applies a batch to every generation, retrying it here while a database is away: a redelivered batch counts
   * against the bus's delivery limit, and an outage must never push good events into its dead letters. Events the
   * projection cannot apply are set aside by the writer, logged and counted. A partition whose lease was taken over
   * meanwhile is fenced: its messages are left unacknowledged for the new owner and the rest is applied. Returns the
   * messages applied (none when stopped first: the batch is redelivered to whoever runs next).
   */
  private async applyUntilDone(messages: readonly BusMessage[]): Promise<BusMessage[]> {
    for (let failures = 0; !this.stopped;) {
      const mine = messages.filter((m) => this.consuming.has(m.partition));
      if (mine.length === 0) return [];
      try {
        const generations = await this.catalog.current(this.projection.name);
        await this.prepare(generations);
        for (const generation of generations) {
          if (!this.feeds(generation)) continue;
          const dead = await this.writer.write(
            this.projection,
            generation,
            partitionBatches(mine, this.consuming),
          );
          for (const letter of dead) this.reportDeadLetter(generation, letter);
        }
        return mine;
      } catch (error) {
        if (error instanceof FencedError) {
          this.logger.warn(
            { projection: this.projection.name, partitions: error.partitions },
            'partitions were taken over by another replica; leaving their messages to it',
          );
          for (const partition of error.partitions) this.consuming.delete(partition);
          this.ownership?.lost(error.partitions);
          continue;
        }
        failures += 1;
        this.logger.warn(
          { err: error, projection: this.projection.name, failures },
          'projection batch failed; retrying it',
        );
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
    return [];
  }

  /**
   * A generation built for another partition count cannot be fed from this layout: after the count changed, the old
   * live generation stops moving (reads of it wait, then answer READ_MODEL_BEHIND) until a replay for the new count
   * is promoted; a replay built for an older count is never finished.
   */
  private feeds(generation: Generation): boolean {
    if (generation.partitions === this.options.partitions) return true;
    if (!this.mismatched.has(generation.generation)) {
      this.mismatched.add(generation.generation);
      this.logger.error(
        {
          projection: this.projection.name,
          generation: generation.generation,
          state: generation.state,
          partitions: generation.partitions,
          configured: this.options.partitions,
        },
        `generation ${String(generation.generation)} of ${this.projection.name} is fed from ${String(generation.partitions)} ` +
          `partitions, not COUPONKILL_PROJECTION_PARTITIONS=${String(this.options.partitions)}: it is not fed; ` +
          `run \`couponkill replay --projection ${this.projection.name}\` to rebuild it for the new count`,
      );
    }
    return false;
  }

  private reportDeadLetter(generation: Generation, letter: DeadLetter): void {
    this.onDeadLetter(letter);
    this.logger.error(
      {
        projection: this.projection.name,
        generation: generation.generation,
        eventId: letter.eventId,
        eventType: letter.type,
        schemaVersion: letter.schemaVersion,
        streamId: letter.streamId,
        position: letter.position.toString(),
        reason: letter.reason,
      },
      'event set aside as a dead letter: the projection cannot apply it',
    );
  }

  /** A claimed partition is fenced in every generation before it is consumed. */
  private async fence(partition: number, epoch: number): Promise<void> {
    const generations = (await this.catalog.current(this.projection.name)).filter((g) => this.feeds(g));
    await this.prepare(generations);
    for (const generation of generations) await this.shards.fence(generation, partition, epoch);
  }

  /** Makes a generation's tables; one that appeared while partitions were held is fenced for them too. */
  private async prepare(generations: readonly Generation[]): Promise<void> {
    for (const generation of generations) {
      if (this.prepared.has(generation.generation) || !this.feeds(generation)) continue;
      await this.shards.ensureTables(generation, this.projection.ddl(`_g${generation.generation}`));
      for (const [partition, epoch] of this.consuming) await this.shards.fence(generation, partition, epoch);
      this.prepared.add(generation.generation);
    }
  }
}
