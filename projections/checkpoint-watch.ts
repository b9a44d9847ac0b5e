import { lowestCheckpoint, type Generation, type ReadShards } from './read-model-ports';

/** What one read depends on in one shard: these partitions' checkpoints there. */
export interface ShardDependency {
  readonly shard: number;
  readonly partitions: readonly number[];
}

type Checkpoints = ReadonlyMap<number, bigint>;

interface Waiter {
  readonly partitions: readonly number[];
  readonly min: bigint;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Keeps the highest reading of each partition (a reading never moves a checkpoint back). */
const raise = (latest: Map<number, bigint>, reading: Checkpoints): void => {
  for (const [partition, position] of reading)
    if (position > (latest.get(partition) ?? 0n)) latest.set(partition, position);
};

/**
 * One shard's partition checkpoints, watched for every read waiting on them: while anyone waits, one query per
 * `pollMs` (whatever the number of waiters) and each waiter is released as soon as its partitions pass its position.
 */
class ShardWatch {
  private readonly waiters = new Set<Waiter>();
  private polling = false;
  private inflight: Promise<Checkpoints> | null = null;
  readonly latest = new Map<number, bigint>();

  constructor(
    private readonly read: () => Promise<Checkpoints>,
    private readonly pollMs: number,
    private readonly onIdle: () => void,
  ) {}

  get idle(): boolean {
    return this.waiters.size === 0 && !this.polling && this.inflight === null;
  }

  /**
   * The checkpoint now: while the shard is polled for waiters, its latest reading (at most one poll old); else one
   * read, shared by everyone asking at the same time.
   */
  current(): Promise<Checkpoints> {
    if (this.polling) return Promise.resolve(this.latest);
    this.inflight ??= this.read()
      .then((reading) => {
        raise(this.latest, reading);
        return this.latest;
      })
      .finally(() => {
        this.inflight = null;
        // After the readers of this value have run: one that waits has registered by then and keeps the watch.
        setImmediate(() => {
          if (this.idle) this.onIdle();
        });
      });
    return this.inflight;
  }

  /** Resolves once every given partition is at or past `min`; `cancel` withdraws the wait. */
  until(partitions: readonly number[], min: bigint): { reached: Promise<void>; cancel: () => void } {
    let waiter: Waiter | undefined;
    const reached = new Promise<void>((resolve, reject) => {
      waiter = { partitions, min, resolve, reject };
      this.waiters.add(waiter);
    });
    void this.poll();
    return {
      reached,
      cancel: () => {
        if (waiter) this.waiters.delete(waiter);
      },
    };
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiters.size > 0) {
        try {
          raise(this.latest, await this.read());
          for (const waiter of this.waiters)
            if (lowestCheckpoint(this.latest, waiter.partitions) >= waiter.min) {
              this.waiters.delete(waiter);
              waiter.resolve();
            }
        } catch (error) {
          for (const waiter of this.waiters) waiter.reject(error as Error);
          this.waiters.clear();
        }
        if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    } finally {
      this.polling = false;
      if (this.idle) this.onIdle();
    }
  }
}

export interface CheckpointWatchOptions {
  /** Delay between two reads of one shard's checkpoint while reads wait on it. */
  readonly pollMs: number;
  /** Reads waiting at once, over every shard; past it a read that would wait is refused at once. */
  readonly maxWaiters: number;
}

/** Why a wait ended without the position: the deadline passed, or too many reads were waiting already. */
export class CheckpointWaitRefused extends Error {
  constructor(
    readonly reached: bigint,
    readonly reason: 'deadline' | 'too_many_waiters',
  ) {
    super(reason === 'deadline' ? 'the position was not reached in time' : 'too many reads are waiting');
    this.name = 'CheckpointWaitRefused';
  }
}

/**
 * Read-your-writes waiting, shared: one ShardWatch per generation and shard (one query reads all its partitions),
 * many waiters on it, and a bound on waiters so that a burst of waiting reads costs a fixed amount instead of a query
 * per read per tick.
 */
export class CheckpointWatch {
  private readonly watches = new Map<string, ShardWatch>();
  private waiting = 0;
  private reads = 0;

  constructor(
    private readonly shards: ReadShards,
    private readonly options: CheckpointWatchOptions,
  ) {}

  /** Reads waiting now (for the metrics). */
  get waiters(): number {
    return this.waiting;
  }

  /** Checkpoint queries made so far (for the metrics): one per shard per poll, whatever the number of waiters. */
  get checkpointReads(): number {
    return this.reads;
  }

  /**
   * Resolves once every given partition of every given shard of the generation has applied `min`. Rejects with
   * CheckpointWaitRefused when `deadlineMs` (epoch ms) passes first, or at once when `maxWaiters` reads are waiting
   * already; with the shard's own error when its checkpoints cannot be read.
   */
  async waitFor(
    generation: Generation,
    dependencies: readonly ShardDependency[],
    min: bigint,
    deadlineMs: number,
  ): Promise<void> {
    const lowest = (readings: readonly Checkpoints[]): bigint =>
      dependencies.reduce<bigint | null>((low, { partitions }, i) => {
        const position = lowestCheckpoint(readings[i] ?? new Map(), partitions);
        return low === null || position < low ? position : low;
      }, null) ?? 0n;
    const first = await Promise.all(dependencies.map(({ shard }) => this.watch(generation, shard).current()));
    if (lowest(first) >= min) return;
    if (this.waiting >= this.options.maxWaiters)
      throw new CheckpointWaitRefused(lowest(first), 'too_many_waiters');
    this.waiting += 1;
    // The watches as they are now: one that went idle meanwhile was replaced, and waiting on it would poll alone.
    const current = dependencies.map(({ shard }) => this.watch(generation, shard));
    const waits = current.map((watch, i) => watch.until(dependencies[i]?.partitions ?? [], min));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(waits.map((w) => w.reached)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new CheckpointWaitRefused(lowest(current.map((w) => w.latest)), 'deadline')),
            Math.max(0, deadlineMs - Date.now()),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      for (const wait of waits) wait.cancel();
      this.waiting -= 1;
    }
  }

  private watch(generation: Generation, shard: number): ShardWatch {
    const key = `${generation.projection}/${String(generation.generation)}/${String(shard)}`;
    let watch = this.watches.get(key);
    if (!watch) {
      const created = new ShardWatch(
        () => {
          this.reads += 1;
          return this.shards.checkpoints(generation, shard);
        },
        this.options.pollMs,
        () => {
          if (this.watches.get(key) === created) this.watches.delete(key);
        },
      );
      this.watches.set(key, created);
      watch = created;
    }
    return watch;
  }
}
