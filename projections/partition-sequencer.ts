import type { RecordedEvent } from '../commands/event-store-port';
import type { PartitionMessages, SequencedEvent } from './event-bus-port';
import { allPartitions, routesOf } from './partitioning';
import type { Projection, ProjectionName } from './projection';

/**
 * Per projection and partition, the position of the last message the relay published there (the `previous` of the
 * next one), saved with the relay's checkpoint. Keyed `<projection>/<partition>`; `partitions` is the count they
 * were made under.
 */
export interface PartitionHeads {
  readonly partitions: number;
  readonly heads: ReadonlyMap<string, bigint>;
}

const keyOf = (projection: ProjectionName, partition: number): string => `${projection}/${String(partition)}`;

/** A relay batch for the bus, and the heads once the bus has stored it. */
export interface SequencedBatch {
  readonly messages: readonly PartitionMessages[];
  readonly heads: PartitionHeads;
}

/**
 * Splits the global log into one sequence per projection and partition, each message linked to the one published
 * before it in its partition. A partition that gets no event for `watermarkMs` while the log moves on gets a
 * watermark (a message without an event) up to the published position, so that its consumer's checkpoint, and with
 * it read-your-writes and the lag, reach the head even when the partition is idle.
 *
 * Heads never run ahead of what the bus stored: `next`/`watermarks` compute a batch and its heads without changing
 * anything, and the relay adopts the heads (`adopt`) once the bus has stored the batch. The first message of a
 * partition without a saved head links to the position the relay started from: everything before it was published
 * under an earlier layout, or not at all, and a consumer must not count it as seen.
 */
export class PartitionSequencer {
  private heads: Map<string, bigint>;
  private readonly lastSent = new Map<string, number>();

  constructor(
    private readonly projections: readonly Projection[],
    private readonly partitions: number,
    private readonly watermarkMs: number,
    saved: PartitionHeads | null,
    private readonly startedAt: bigint,
  ) {
    this.heads = new Map(saved?.partitions === partitions ? saved.heads : []);
  }

  /** The heads as adopted so far (what the relay saves with its checkpoint). */
  get current(): PartitionHeads {
    return { partitions: this.partitions, heads: new Map(this.heads) };
  }

  /** Returns to heads saved earlier (after a failed publish, the relay resumes from its saved checkpoint). */
  reset(saved: PartitionHeads): void {
    this.heads = new Map(saved.partitions === this.partitions ? saved.heads : []);
  }

  /**
   * One batch of the log, read up to `upTo` (the subscription's position after it): each event to the partitions
   * that use it, and watermarks to partitions idle for `watermarkMs` (epoch ms `now`).
   */
  next(events: readonly RecordedEvent[], upTo: bigint, now: number): SequencedBatch {
    const chains = new Map<
      string,
      { projection: ProjectionName; partition: number; events: SequencedEvent[] }
    >();
    const heads = new Map(this.heads);
    for (const event of events)
      for (const [index, partition] of routesOf(this.projections, event, this.partitions)) {
        const projection = this.projections[index]?.name;
        if (projection === undefined) continue;
        const key = keyOf(projection, partition);
        const previous = this.headOf(heads, key);
        heads.set(key, event.position);
        const chain = chains.get(key);
        const linked = { position: event.position, previous, event };
        if (chain) chain.events.push(linked);
        else chains.set(key, { projection, partition, events: [linked] });
      }
    // After their events, so a partition whose last event is behind `upTo` reaches it too when a watermark is due.
    const watermarks: PartitionMessages[] = [];
    for (const watermark of this.idle(heads, upTo, now)) {
      const chain = chains.get(keyOf(watermark.projection, watermark.partition));
      if (chain) chain.events.push(...watermark.messages);
      else watermarks.push(watermark);
    }
    const messages: PartitionMessages[] = [...chains.values()].map(
      ({ projection, partition, events: linked }) => ({ projection, partition, messages: linked }),
    );
    messages.push(...watermarks);
    return { messages, heads: { partitions: this.partitions, heads } };
  }

  /** Watermarks for partitions not sent anything for `watermarkMs`, up to `upTo`; an empty batch when none is due. */
  watermarks(upTo: bigint, now: number): SequencedBatch {
    const heads = new Map(this.heads);
    return {
      messages: this.idle(heads, upTo, now),
      heads: { partitions: this.partitions, heads },
    };
  }

  /** The bus stored the batch: its heads are the ones to link from now on (epoch ms `now`). */
  adopt(batch: SequencedBatch, now: number): void {
    this.heads = new Map(batch.heads.heads);
    for (const { projection, partition } of batch.messages)
      this.lastSent.set(keyOf(projection, partition), now);
  }

  private idle(heads: Map<string, bigint>, upTo: bigint, now: number): PartitionMessages[] {
    const watermarks: PartitionMessages[] = [];
    for (const { name: projection } of this.projections)
      for (const partition of allPartitions(this.partitions)) {
        const key = keyOf(projection, partition);
        const previous = this.headOf(heads, key);
        if (previous >= upTo) continue;
        if (now - (this.lastSent.get(key) ?? 0) < this.watermarkMs) continue;
        heads.set(key, upTo);
        watermarks.push({ projection, partition, messages: [{ position: upTo, previous, event: null }] });
      }
    return watermarks;
  }

  private headOf(heads: ReadonlyMap<string, bigint>, key: string): bigint {
    return heads.get(key) ?? this.startedAt;
  }
}
