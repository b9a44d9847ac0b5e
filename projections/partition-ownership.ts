import type { Logger } from '../commands/logger-port';
import type { LeaseGroup, PartitionLeases } from './partition-leases-port';
import { shareChange } from './partition-shares';

export interface OwnershipOptions {
  /** This replica's name in the group: unique per process (a restarted pod is a new member). */
  readonly member: string;
  readonly partitions: number;
  /** A member and its leases lapse this long after its last heartbeat (COUPONKILL_PROJECTOR_LEASE_MS). */
  readonly leaseMs: number;
  /** Time between heartbeats; also how soon a member sees a join or a leave. */
  readonly heartbeatMs: number;
}

/**
 * Which partitions of a projection this replica owns: a heartbeat keeps its member entry and leases alive, and moves
 * it towards its fair share (partition-shares.ts). A partition it claims is fenced (`fence`, every generation) before
 * it is handed to the consumer, so a former owner's late batch is refused from then on. A partition it must give up
 * is first withdrawn from `owned`; the projector stops consuming it and calls `handBack`, and only then is it
 * released for another member to claim, so two members never consume one partition at once. When heartbeats fail
 * for longer than the lease, everything is withdrawn: another member may own it by then.
 */
export class PartitionOwnership {
  private readonly held = new Map<number, number>();
  private readonly withdrawn = new Set<number>();
  private lastHeartbeatAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private version = 0;
  private notify: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly projection: LeaseGroup,
    private readonly leases: PartitionLeases,
    private readonly fence: (partition: number, epoch: number) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: OwnershipOptions,
  ) {}

  /** The partitions to consume now and the epoch each is written under. */
  get owned(): ReadonlyMap<number, number> {
    return new Map([...this.held].filter(([partition]) => !this.withdrawn.has(partition)));
  }

  /** Partitions the group asked back that are still held: the consumer must stop on them, then `handBack` them. */
  get withdrawnPartitions(): readonly number[] {
    return [...this.withdrawn];
  }

  /** Grows whenever `owned` changes. */
  get changes(): number {
    return this.version;
  }

  /** Resolves on the next change of `owned`, or after `ms`. */
  async nextChange(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.notify = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  /** Joins the group: the first heartbeat (and its claims) is done when this resolves. */
  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  /** The next heartbeat a period after this one ended: a slow store delays heartbeats, never queues them. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const beat = this.beating.then(() => this.beat());
      this.beating = beat.catch(() => undefined);
      void this.beating.then(() => this.schedule());
    }, this.options.heartbeatMs);
  }

  /** Leaves the group, releasing every lease; call after the consumer stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beating;
    try {
      await this.leases.leave(this.projection, this.options.member);
    } catch (error) {
      this.logger.warn(
        { err: error, projection: this.projection },
        'could not leave the group; leases will lapse',
      );
    }
    this.held.clear();
  }

  /**
   * The projector stopped consuming these withdrawn partitions: they are released for others. Runs between
   * heartbeats, so a heartbeat never sees a partition released halfway.
   */
  handBack(partitions: readonly number[]): Promise<void> {
    const release = async (): Promise<void> => {
      const releasing = partitions.filter((p) => this.withdrawn.has(p));
      if (releasing.length === 0) return;
      await this.leases.release(this.projection, this.options.member, releasing);
      for (const partition of releasing) {
        this.withdrawn.delete(partition);
        this.held.delete(partition);
      }
    };
    const done = this.beating.then(release);
    this.beating = done.catch(() => undefined);
    return done;
  }

  /** A write under these partitions' epochs was fenced: another member owns them now. */
  lost(partitions: readonly number[]): void {
    for (const partition of partitions) this.held.delete(partition);
    this.changed();
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const { member, partitions, leaseMs } = this.options;
    let view;
    try {
      view = await this.leases.heartbeat(this.projection, partitions, member, leaseMs);
      this.lastHeartbeatAt = Date.now();
    } catch (error) {
      this.logger.warn({ err: error, projection: this.projection, member }, 'projector heartbeat failed');
      if (Date.now() - this.lastHeartbeatAt >= leaseMs && this.held.size > 0) {
        this.logger.warn(
          { projection: this.projection, member },
          'leases lapsed: consuming nothing until renewed',
        );
        this.held.clear();
        this.withdrawn.clear();
        this.changed();
      }
      return;
    }
    let moved = false;
    for (const lease of view.leases) {
      const ours = lease.owner === member;
      if (!ours && this.held.delete(lease.partition)) moved = true;
      if (ours && !this.held.has(lease.partition)) {
        // Still ours after a lapse nobody used: the epoch is unchanged, so the fence it set still holds.
        this.held.set(lease.partition, lease.epoch);
        moved = true;
      }
    }
    const change = shareChange(view, member, partitions);
    for (const partition of change.release)
      if (!this.withdrawn.has(partition)) {
        this.withdrawn.add(partition);
        moved = true;
      }
    for (const partition of change.claim) {
      // stop() may have run while an earlier claim was awaited.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.stopped) break;
      if (await this.take(partition)) moved = true;
    }
    if (moved) {
      this.logger.info(
        { projection: this.projection, member, owned: [...this.owned.keys()], members: view.members.length },
        'projector partitions rebalanced',
      );
      this.changed();
    }
  }

  private async take(partition: number): Promise<boolean> {
    const { member, leaseMs } = this.options;
    try {
      const epoch = await this.leases.claim(this.projection, partition, member, leaseMs);
      if (epoch === null) return false;
      try {
        await this.fence(partition, epoch);
      } catch (error) {
        await this.leases.release(this.projection, member, [partition]);
        throw error;
      }
      this.held.set(partition, epoch);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, projection: this.projection, partition }, 'could not take a partition');
      return false;
    }
  }

  private changed(): void {
    this.version += 1;
    this.notify?.();
    this.notify = undefined;
  }
}
