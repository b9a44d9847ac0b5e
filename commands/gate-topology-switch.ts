import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock-port';
import { DependencyUnavailableError } from './dependency-error';
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
  /** Longest wait for another holder of a coupon's recovery lease on the old topology, in ms. */
  readonly fenceWaitMs: number;
  /** Longest wait for calls the old topology is still serving, in ms. */
  readonly drainMs: number;
  /** Longest wait for the first switcher of an era to have loaded the new topology, in ms. */
  readonly joinWaitMs: number;
}

/** What a switch did. */
export interface TopologySwitchReport {
  readonly from: string;
  readonly to: string;
  /** Coupons stopped on the old topology. */
  readonly fenced: number;
  /** This process cleared and loaded the new topology (false: another process of the same era had). */
  readonly loaded: boolean;
  readonly recovery: RecoveryReport | null;
  readonly seconds: number;
}

/**
 * Moves the stock gate from one Redis topology to another with nothing sold twice (README, "Live configuration"):
 *
 * 1. checks the new topology (connect, primary, a write read back, a cluster's slots all served); refuses otherwise;
 * 2. fences the old one: every coupon's sales stop there under a long lease owned by the switch era, which no
 *    recovery can take over, so no process still on the old topology sells another unit there;
 * 3. the first process of the era clears the new topology of what an earlier era left;
 * 4. moves new calls to the new gate, which is then rebuilt from the event store (GateRecovery: it waits until
 *    appends reserved on the old topology can no longer land, so every unit sold there is counted);
 * 5. drains the calls still running on the old gate, then closes it.
 *
 * If the rebuild fails, calls go back to the old gate, its fences are lifted and it is rebuilt from the event store.
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

  /**
   * Rebuilds the gate on the topology in force after its primary changed (`replicationId`: the new primary's): the
   * first process to see it clears the gate (what a promoted replica holds may lack the last units sold) and rebuilds
   * it from the event store, waiting out the appends in flight; the others wait for that.
   */
  afterPrimaryChange(replicationId: string): Promise<void> {
    const run = this.running.then(() => this.rebuildOnNewPrimary(replicationId));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async rebuildOnNewPrimary(replicationId: string): Promise<void> {
    const gate = this.current;
    if (await gate.claimEpoch(`primary:${replicationId}`)) {
      await gate.clear();
      await this.recovery.rebuildAll();
    } else if (!(await this.joined(gate.gate))) await this.recovery.rebuildAll();
  }

  /** The topology in force. */
  get inForce(): TopologyGate {
    return this.current;
  }

  /** Switches to `next` for era `epoch` (the same string in every process switching for one change). */
  switchTo(next: TopologyGate, epoch: string): Promise<TopologySwitchReport> {
    const run = this.running.then(() => this.run(next, epoch));
    this.running = run.catch(() => undefined);
    return run;
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
    const owner = `switch:${epoch}`;
    const fenced = await this.fence(old, owner);
    let loaded = false;
    let recovery: RecoveryReport | null = null;
    const previous = this.switchable.use(next.gate);
    try {
      if (await next.claimEpoch(epoch)) {
        await next.clear();
        loaded = true;
        recovery = await this.recovery.rebuildAll();
      } else if (!(await this.joined(next.gate))) {
        recovery = await this.recovery.rebuildAll();
      }
    } catch (error) {
      this.switchable.use(old.gate);
      await this.rollBack(old, owner, fenced);
      await next.close().catch(() => undefined);
      throw new TopologySwitchRefused(
        next.description,
        `loading it from the event store failed (${error instanceof Error ? error.message : String(error)}); rolled back`,
      );
    }
    this.current = next;
    next.watchPrimary((replicationId) => this.afterPrimaryChange(replicationId));
    if (!(await previous.drain(this.options.drainMs)))
      this.logger.warn(
        { topology: old.description },
        'calls to the old Redis still running after the drain period',
      );
    await old.close().catch(() => undefined);
    const report = {
      from: old.description,
      to: next.description,
      fenced: fenced.length,
      loaded,
      recovery,
      seconds: (this.clock.now().getTime() - started) / 1000,
    };
    this.logger.info(report, `stock gate switched to ${next.description}`);
    return report;
  }

  /** Stops every coupon's sales on the old topology; an unreachable old Redis sells nothing and is passed over. */
  private async fence(old: TopologyGate, owner: string): Promise<string[]> {
    try {
      const ids = new Set([...(await old.gate.couponIds()), ...(await old.gate.scanCouponIds())]);
      const fenced: string[] = [];
      for (const couponId of ids) {
        const deadline = this.clock.now().getTime() + this.options.fenceWaitMs;
        for (;;) {
          const now = this.clock.now().getTime();
          const start = await old.gate.beginRecovery(couponId, owner, now, now + this.options.fenceMs, 0);
          if (start.kind === 'began') break;
          // A recovery in progress there holds a short lease: the fence takes over when it ends.
          if (now > deadline) throw new Error(`coupon ${couponId} stayed under another recovery's lease`);
          await sleep(100);
        }
        fenced.push(couponId);
      }
      await old.leave();
      return fenced;
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      this.logger.warn(
        { topology: old.description, reason: error.message },
        'the old Redis cannot be reached to fence it: it sells nothing while unreachable',
      );
      return [];
    }
  }

  /** The first switcher of the era marks the new gate initialised once loaded; waits for that. */
  private async joined(gate: StockGate): Promise<boolean> {
    const deadline = this.clock.now().getTime() + this.options.joinWaitMs;
    while (this.clock.now().getTime() < deadline) {
      if (await gate.isInitialised()) return true;
      await sleep(100);
    }
    return false;
  }

  private async rollBack(old: TopologyGate, owner: string, fenced: readonly string[]): Promise<void> {
    try {
      await Promise.all(fenced.map((couponId) => old.gate.releaseRecovery(couponId, owner)));
      await this.recovery.rebuildAll();
    } catch (error) {
      this.logger.error(
        { err: error, topology: old.description },
        'rolling back to the old Redis failed: its coupons recover on their next request',
      );
    }
  }
}
