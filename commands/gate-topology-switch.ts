import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock-port';
import type { GateRecovery, RecoveryReport } from './gate-recovery';
import type { Logger } from './logger-port';
import type { StockGate } from './stock-gate-port';
import type { SwitchableStockGate } from './switchable-stock-gate';

/** The stock gate on one Redis topology, with what a live switch needs of that topology. */
export interface TopologyGate {
  readonly gate: StockGate;
  /** Names the topology in logs and errors (no secrets). */
  readonly description: string;
  /** Connects and checks the topology can serve the gate; rejects with the reason. */
  check(): Promise<void>;
  /** True for the first process to claim switch era `epoch` here: it clears what an earlier era left. */
  claimEpoch(epoch: string): Promise<boolean>;
  /** Forgets this topology's era when the gate leaves it. */
  leave(): Promise<void>;
  /** Deletes every key of the gate. */
  clear(): Promise<void>;
  /**
   * Calls `handler` when the server behind this topology is no longer the primary it was (a Sentinel failover, a
   * restart with its data gone); purchases wait until the handler has run. Cluster: never (see the README).
   */
  watchPrimary(handler: (replicationId: string) => Promise<void>): void;
  close(): Promise<void>;
}

/** The new topology failed its checks: the process stays on the one in force. */
export class TopologySwitchRefused extends Error {
  constructor(target: string, reason: string) {
    super(`cannot switch the stock gate to ${target}: ${reason}; staying on the Redis in force`);
    this.name = 'TopologySwitchRefused';
  }
}

export interface TopologySwitchOptions {
  /** How long fenced coupons of the old topology stay stopped (the old Redis is not used again meanwhile). */
  readonly fenceMs: number;
  /**
   * Longest wait for another recovery's lease on a coupon of the old topology (leases are finite: GateRecovery's
   * leaseMs), after which the switch goes on and says so.
   */
  readonly fenceWaitMs: number;
  /** Longest wait for calls the old topology is still serving, in ms. */
  readonly drainMs: number;
}

/** What a switch did. */
export interface TopologySwitchReport {
  readonly from: string;
  readonly to: string;
  /** Coupons stopped on the old topology. */
  readonly fenced: number;
  /** This process was the first of the era: it cleared the new topology before the rebuild. */
  readonly loaded: boolean;
  readonly recovery: RecoveryReport | null;
  readonly seconds: number;
}

/**
 * Moves the stock gate from one Redis topology to another with nothing sold twice (README, "Live configuration"):
 *
 * 1. checks the new topology (connect, primary, a write read back, a cluster's slots all served); refuses otherwise,
 *    and nothing changed;
 * 2. fences the old one: every coupon's sales stop there under a long lease of a switch (`switch:<era>`), which no
 *    recovery takes over, so no process still on the old topology sells another unit there. A fence is never lifted:
 *    from here on the switch is committed;
 * 3. the first process of the era clears the new topology of what an earlier era left;
 * 4. moves new calls to the new gate and rebuilds it from the event store (GateRecovery waits until appends reserved
 *    on the old topology can no longer land, so every unit sold there is counted). Every process rebuilds: a
 *    coupon being loaded by another is waited for, one already loaded is loaded again, and a coupon that cannot be
 *    loaded now is recovered on its next request;
 * 5. drains the calls still running on the old gate, then closes it.
 *
 * Buyers of a coupon see 503 GATE_RECOVERING (retriable) only from step 2 until the coupon is loaded in step 4.
 */
export class GateTopologySwitch {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly switchable: SwitchableStockGate,
    private current: TopologyGate,
    private readonly recovery: GateRecovery,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: TopologySwitchOptions,
  ) {
    current.watchPrimary((replicationId) => this.afterPrimaryChange(replicationId));
  }

  /** The topology in force. */
  get inForce(): TopologyGate {
    return this.current;
  }

  /**
   * Switches to `next` for era `epoch`: the same string in every process making this change (from the old and the
   * new topology alone, so every process agrees whatever else its configuration holds).
   */
  switchTo(next: TopologyGate, epoch: string): Promise<TopologySwitchReport> {
    const run = this.running.then(() => this.run(next, epoch));
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * Rebuilds the gate on the topology in force after its primary changed (`replicationId`: the new primary's): the
   * first process to see it clears the gate (what a promoted replica holds may lack the last units sold); every
   * process then rebuilds it from the event store, waiting out the appends in flight.
   */
  afterPrimaryChange(replicationId: string): Promise<void> {
    const run = this.running.then(() => this.rebuildOnNewPrimary(replicationId));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async rebuildOnNewPrimary(replicationId: string): Promise<void> {
    const gate = this.current;
    if (await gate.claimEpoch(`primary:${replicationId}`)) await gate.clear();
    await this.recovery.rebuildAll();
  }

  private async run(next: TopologyGate, epoch: string): Promise<TopologySwitchReport> {
    const started = this.clock.now().getTime();
    const old = this.current;
    try {
      await next.check();
    } catch (error) {
      await next.close().catch(() => undefined);
      throw new TopologySwitchRefused(
        next.description,
        error instanceof Error ? error.message : String(error),
      );
    }
    this.logger.info({ from: old.description, to: next.description, epoch }, 'switching the stock gate');
    // Watched before any call reaches it: a failover there from now on is noticed.
    next.watchPrimary((replicationId) => this.afterPrimaryChange(replicationId));
    const fenced = await this.fence(old, `switch:${epoch}`);
    let loaded = false;
    try {
      if (await next.claimEpoch(epoch)) {
        await next.clear();
        loaded = true;
      }
    } catch (error) {
      this.logger.warn(
        { err: error, topology: next.description },
        'the new Redis failed right after its check; its coupons recover on their next request',
      );
    }
    const previous = this.switchable.use(next.gate);
    this.current = next;
    let recovery: RecoveryReport | null = null;
    try {
      recovery = await this.recovery.rebuildAll();
    } catch (error) {
      this.logger.error(
        { err: error, topology: next.description },
        'rebuilding the gate on the new Redis failed; its coupons recover on their next request',
      );
    }
    if (!(await previous.drain(this.options.drainMs)))
      this.logger.warn(
        { topology: old.description },
        'calls to the old Redis still running after the drain period',
      );
    await old.close().catch(() => undefined);
    const report = {
      from: old.description,
      to: next.description,
      fenced,
      loaded,
      recovery,
      seconds: (this.clock.now().getTime() - started) / 1000,
    };
    this.logger.info(report, `stock gate switched to ${next.description}`);
    return report;
  }

  /**
   * Stops every coupon's sales on the old topology; returns how many it stopped. A coupon fenced by any switch already
   * counts (two processes may name the era differently only if their configurations differ; a fence is a fence). An
   * unreachable old Redis sells nothing while unreachable and is passed over.
   */
  private async fence(old: TopologyGate, owner: string): Promise<number> {
    let fenced = 0;
    try {
      const ids = new Set([...(await old.gate.couponIds()), ...(await old.gate.scanCouponIds())]);
      for (const couponId of ids) {
        const deadline = this.clock.now().getTime() + this.options.fenceWaitMs;
        for (;;) {
          const now = this.clock.now().getTime();
          const start = await old.gate.beginRecovery(couponId, owner, now, now + this.options.fenceMs, 0);
          if (start.kind === 'began' || start.holder?.startsWith('switch:')) {
            fenced += 1;
            break;
          }
          if (now > deadline) {
            this.logger.warn(
              { couponId, holder: start.holder, topology: old.description },
              'a coupon of the old Redis stayed under another recovery past the fence wait; switching all the same',
            );
            break;
          }
          // A recovery in progress there holds a short lease: the fence takes over when it ends.
          await sleep(100);
        }
      }
      await old.leave();
    } catch (error) {
      this.logger.warn(
        { topology: old.description, reason: error instanceof Error ? error.message : String(error), fenced },
        'the old Redis cannot be reached to fence it (all of it): what is unreachable sells nothing',
      );
    }
    return fenced;
  }
}
