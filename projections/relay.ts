import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore } from '../commands/event-store-port';
import type { Logger } from '../commands/logger-port';
import type { EventBus } from './event-bus-port';

/** Where the relay has published up to; saved only after the bus has stored everything before it. */
export interface RelayCheckpoint {
  load(): Promise<bigint>;
  save(position: bigint): Promise<void>;
}

export interface RelayOptions {
  readonly batchSize: number;
  readonly idleMs: number;
}

/**
 * Tails the event store's gap-free global log from its checkpoint and publishes every event to the bus, in order, at
 * least once: a crash between publish and save republishes the batch, which consumers absorb.
 */
export class Relay {
  private running: Promise<void> | undefined;
  private stopped = false;
  private published = 0n;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly checkpoint: RelayCheckpoint,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** The position published so far (for the lag metric). */
  get position(): bigint {
    return this.published;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Publishes until the store has nothing newer; returns the number of events published. */
  async drain(): Promise<number> {
    let count = 0;
    for (;;) {
      const events = await this.store.readAll(this.published, this.options.batchSize);
      if (events.length === 0) return count;
      await this.bus.publish(events);
      const last = events[events.length - 1];
      if (last) {
        await this.checkpoint.save(last.position);
        this.published = last.position;
      }
      count += events.length;
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    this.published = await this.loadCheckpoint();
    while (!this.stopped) {
      try {
        if ((await this.drain()) === 0) await sleep(this.options.idleMs);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.warn({ err: error, failures }, 'relay could not publish; retrying');
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  private async loadCheckpoint(): Promise<bigint> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.checkpoint.load();
      } catch (error) {
        if (this.stopped) return 0n;
        this.logger.warn({ err: error }, 'relay could not load its checkpoint; retrying');
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }
}
