import { randomUUID } from 'node:crypto';
import type { TopologyGate } from '../../commands/gate-topology-switch';
import type { RedisTopology } from '../config/config';
import { Cluster } from 'ioredis';
import { PrimaryWatch } from './primary-watch';
import { RedisStockGate } from './redis-stock-gate';
import {
  closeClient,
  connectTopology,
  createTopologyClient,
  describeTopology,
  type AnyRedis,
} from './redis-topology';

/** How long a Redis topology may take to answer its checks before a switch to it is refused, in ms. */
export const DEFAULT_TOPOLOGY_CHECK_MS = 5000;

/**
 * The stock gate on one Redis topology (TopologyGate). `shared`: the client also serves others (the process's
 * start-up Redis, which the embedded bus and the auth quotas keep): then `close` leaves it open.
 */
export class RedisTopologyGate implements TopologyGate {
  readonly gate: RedisStockGate;
  readonly description: string;
  private readonly watch: PrimaryWatch | null;

  constructor(
    readonly topology: RedisTopology,
    private readonly client: AnyRedis,
    private readonly prefix: string,
    private readonly options: {
      readonly checkTimeoutMs: number;
      readonly shared: boolean;
      readonly log: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {
    // A cluster's slots fail over inside the cluster, with no replication id of its own to compare (README).
    this.watch = client instanceof Cluster ? null : new PrimaryWatch(client, options.log);
    const watch = this.watch;
    this.gate = new RedisStockGate(client, prefix, watch ? () => watch.trusted : undefined);
    this.description = describeTopology(topology);
  }

  /** A gate on a new client of `topology` (not connected until `check`). */
  static open(
    topology: RedisTopology,
    prefix: string,
    commandTimeoutMs: number,
    checkTimeoutMs: number,
    log: (message: string, fields: Record<string, unknown>) => void,
  ): RedisTopologyGate {
    return new RedisTopologyGate(topology, createTopologyClient(topology, commandTimeoutMs), prefix, {
      checkTimeoutMs,
      shared: false,
      log,
    });
  }

  watchPrimary(handler: (replicationId: string) => Promise<void>): void {
    this.watch?.whenNewPrimary(handler);
  }

  check(): Promise<void> {
    // A key of this check's own: replicas switching at the same moment must not read each other's probe.
    return connectTopology(
      this.client,
      `${this.prefix}:topology-probe:${randomUUID()}`,
      this.options.checkTimeoutMs,
    );
  }

  claimEpoch(epoch: string): Promise<boolean> {
    return this.gate.claimTopologyEpoch(epoch);
  }

  leave(): Promise<void> {
    return this.gate.leaveTopology();
  }

  clear(): Promise<void> {
    return this.gate.clear();
  }

  async close(): Promise<void> {
    this.watch?.detach();
    if (!this.options.shared) await closeClient(this.client);
  }
}
