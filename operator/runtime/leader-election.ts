import type { Logger } from 'pino';
import type { LeaseRecord } from './kube-api';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** The Lease calls leader election makes (KubeApi implements them; unit specs fake them). */
export interface LeaseApi {
  /** Rejects with an error whose status (see isNotFound) is 404 when there is no Lease yet. */
  readLease(namespace: string, name: string): Promise<LeaseRecord>;
  createLease(record: LeaseRecord): Promise<void>;
  replaceLease(record: LeaseRecord): Promise<LeaseRecord>;
}

/**
 * client-go's leader election on a coordination.k8s.io/v1 Lease. A candidate takes the Lease only when its holder
 * has not renewed it for leaseDurationSeconds as seen on the candidate's own clock (so clock skew between replicas
 * does not matter), and every write carries the resourceVersion it read, so of two racing replicas one gets 409.
 * The leader renews every retryPeriod and gives up if it could not renew for renewDeadline.
 */
export class LeaderElector {
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** The last Lease record we saw and when (local monotonic ms): the expiry clock starts when it changes. */
  private observed: { key: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The round in flight: stop() waits for it, or its read could see the released Lease and take it again. */
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: LeaseApi,
    private readonly isNotFound: (error: unknown) => boolean,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
    private readonly log: Logger,
    private readonly clock: { now: () => number; date: () => Date } = {
      now: () => performance.now(),
      date: () => new Date(),
    },
  ) {
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  run(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.round = this.tick();
    }, ms);
    this.timer.unref(); // the ops server keeps the process alive, not the election loop
  }

  /** Stops campaigning; a leader hands the Lease back (holder cleared, 1 s duration) so a standby takes over now. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readLease(this.options.namespace, this.options.name);
      if (lease.holderIdentity !== this.options.identity) return;
      await this.api.replaceLease({
        ...lease,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: this.clock.date(),
      });
      this.log.info({ lease: this.options.name }, 'released the leader lease');
    } catch (error) {
      this.log.warn({ err: String(error) }, 'could not release the leader lease');
    }
  }

  /** One round: try to acquire or renew, then act on the outcome. Exposed for unit specs that drive the clock. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      this.log.debug({ err: String(error) }, 'lease update failed');
    }
    if (this.stopped as boolean) {
      // stop() is waiting for this round: a Lease it just took is handed back there too.
      if (acquired) this.leading = true;
      return;
    }
    const now = this.clock.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.log.info({ identity: this.options.identity }, 'became leader');
        this.callbacks.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.renewDeadlineMs) {
      this.leading = false;
      this.log.error(
        { identity: this.options.identity },
        'could not renew the leader lease in time; stepping down',
      );
      this.callbacks.onStoppedLeading();
      return;
    }
    this.schedule(this.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = this.clock.date();
    let lease: LeaseRecord;
    try {
      lease = await this.api.readLease(namespace, name);
    } catch (error) {
      if (!this.isNotFound(error)) throw error;
      await this.api.createLease({
        namespace,
        name,
        holderIdentity: identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      });
      return true;
    }
    const recordKey = `${lease.holderIdentity}|${String(lease.renewTime?.getTime() ?? '')}`;
    if (this.observed?.key !== recordKey) this.observed = { key: recordKey, at: this.clock.now() };
    const duration = (lease.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    const expired = lease.holderIdentity === '' || this.clock.now() - this.observed.at > duration;
    if (lease.holderIdentity !== identity && !expired) return false;

    const takingOver = lease.holderIdentity !== identity;
    const updated = await this.api.replaceLease({
      ...lease,
      holderIdentity: identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      renewTime: now,
      ...(takingOver ? { acquireTime: now, leaseTransitions: (lease.leaseTransitions ?? 0) + 1 } : {}),
    });
    this.observed = {
      key: `${identity}|${String(updated.renewTime?.getTime() ?? '')}`,
      at: this.clock.now(),
    };
    return true;
  }
}
