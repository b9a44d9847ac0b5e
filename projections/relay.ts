import { setTimeout as sleep } from 'node:timers/promises';
import { START_OF_LOG, type EventStore, type LogPosition } from '../commands/event-store-port';
import type { Logger } from '../commands/logger-port';
import type { EventBus } from './event-bus-port';
import { PartitionSequencer, type PartitionHeads, type SequencedBatch } from './partition-sequencer';
import type { Projection } from './projection';

/** What the relay saves after the bus stored a batch: where it has read the log to, and each partition's head. */
export interface RelayState {
  readonly position: LogPosition;
  /** Null when none were saved yet (or by a relay from before partitioned streams). */
  readonly heads: PartitionHeads | null;
}

/** Where the relay has published up to; saved only after the bus has stored everything before it. */
export interface RelayCheckpoint {
  load(): Promise<RelayState>;
  save(state: RelayState & { readonly heads: PartitionHeads }): Promise<void>;
}

export interface RelayOptions {
  readonly batchSize: number;
  /** Partitions of each projection's stream (COUPONKILL_PROJECTION_PARTITIONS). */
  readonly partitions: number;
  /** An idle partition gets a watermark up to the published position this often (ms). */
  readonly watermarkMs: number;
}

/**
 * Follows the event store's global log with a catch-up subscription from its checkpoint and publishes each event to
 * the partition of each projection's stream that uses it (projections/partitioning.ts), each partition in order, at
 * least once: a crash between publish and save republishes the batch with the same links, which consumers absorb.
 * Idle partitions get watermarks (PartitionSequencer). A dropped subscription is resumed from the checkpoint with
 * back-off.
 */
export class Relay {
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private saved: RelayState & { heads: PartitionHeads } = {
    position: START_OF_LOG,
    heads: { partitions: 0, heads: new Map() },
  };
  private sequencer: PartitionSequencer | undefined;
  /** Batches and watermarks go to the bus one at a time, so links are made in the order the bus stores them. */
  private exclusive: Promise<unknown> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly checkpoint: RelayCheckpoint,
    private readonly projections: readonly Projection[],
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** The position published so far (for the lag metric). */
  get position(): bigint {
    return this.saved.position.commit;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.ticker);
    await this.running;
    await this.exclusive;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    const loaded = await this.loadCheckpoint();
    const sequencer = new PartitionSequencer(
      this.projections,
      this.options.partitions,
      this.options.watermarkMs,
      loaded.heads,
      loaded.position.commit,
    );
    this.sequencer = sequencer;
    this.saved = { position: loaded.position, heads: sequencer.current };
    this.ticker = setInterval(() => void this.flushWatermarks(), this.options.watermarkMs);
    for (let failures = 0; !signal.aborted;) {
      try {
        for await (const { events, resumeFrom } of this.store.subscribeAll(
          this.saved.position,
          this.options.batchSize,
          signal,
        )) {
          await this.serially(() =>
            this.publish(sequencer.next(events, resumeFrom.commit, Date.now()), resumeFrom),
          );
          failures = 0;
        }
      } catch (error) {
        failures += 1;
        // What was published and not saved is published again, with the links it had then.
        sequencer.reset(this.saved.heads);
        this.logger.warn(
          { err: error, failures, resumeFrom: this.saved.position.commit.toString() },
          'relay lost its subscription or could not publish; resuming from its checkpoint',
        );
        await backOff(failures, signal);
      }
    }
  }

  private async publish(batch: SequencedBatch, position: LogPosition): Promise<void> {
    if (batch.messages.length > 0) await this.bus.publish(batch.messages);
    this.sequencer?.adopt(batch, Date.now());
    const state = { position, heads: batch.heads };
    await this.checkpoint.save(state);
    this.saved = state;
  }

  /**
   * Watermarks up to the saved position for partitions that have been idle. Their heads are adopted once the bus has
   * stored them, saved or not: a watermark only says what the immutable log already holds, so a relay that restarts
   * from older heads links to positions that agree with it.
   */
  private async flushWatermarks(): Promise<void> {
    const sequencer = this.sequencer;
    if (!sequencer || this.stopping.signal.aborted) return;
    try {
      await this.serially(async () => {
        const batch = sequencer.watermarks(this.saved.position.commit, Date.now());
        if (batch.messages.length === 0) return;
        await this.bus.publish(batch.messages);
        sequencer.adopt(batch, Date.now());
        const state = { position: this.saved.position, heads: batch.heads };
        await this.checkpoint.save(state);
        this.saved = state;
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'relay could not publish watermarks; retrying');
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.exclusive.then(work);
    this.exclusive = result.catch(() => undefined);
    return result;
  }

  private async loadCheckpoint(): Promise<RelayState> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.checkpoint.load();
      } catch (error) {
        if (this.stopping.signal.aborted) return { position: START_OF_LOG, heads: null };
        this.logger.warn({ err: error }, 'relay could not load its checkpoint; retrying');
        await backOff(failures, this.stopping.signal);
      }
    }
  }
}

const backOff = (failures: number, signal: AbortSignal): Promise<void> =>
  sleep(Math.min(100 * 2 ** failures, 5000), undefined, { signal }).catch(() => undefined);
