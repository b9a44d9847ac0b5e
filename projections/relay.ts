import { setTimeout as sleep } from 'node:timers/promises';
import { START_OF_LOG, type EventStore, type LogPosition } from '../commands/event-store-port';
import type { Logger } from '../commands/logger-port';
import type { EventBus } from './event-bus-port';

/** Where the relay has published up to; saved only after the bus has stored everything before it. */
export interface RelayCheckpoint {
  load(): Promise<LogPosition>;
  save(position: LogPosition): Promise<void>;
}

export interface RelayOptions {
  readonly batchSize: number;
}

/**
 * Follows the event store's global log with a catch-up subscription from its checkpoint and publishes every event to
 * the bus, in order, at least once: a crash between publish and save republishes the batch, which consumers absorb.
 * A dropped subscription is resumed from the checkpoint with back-off.
 */
export class Relay {
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private published: LogPosition = START_OF_LOG;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly checkpoint: RelayCheckpoint,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** The position published so far (for the lag metric). */
  get position(): bigint {
    return this.published.commit;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    this.published = await this.loadCheckpoint();
    for (let failures = 0; !signal.aborted;) {
      try {
        for await (const batch of this.store.subscribeAll(this.published, this.options.batchSize, signal)) {
          await this.bus.publish(batch.events, this.published.commit);
          await this.checkpoint.save(batch.resumeFrom);
          this.published = batch.resumeFrom;
          failures = 0;
        }
      } catch (error) {
        failures += 1;
        this.logger.warn(
          { err: error, failures, resumeFrom: this.published.commit.toString() },
          'relay lost its subscription or could not publish; resuming from its checkpoint',
        );
        await backOff(failures, signal);
      }
    }
  }

  private async loadCheckpoint(): Promise<LogPosition> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.checkpoint.load();
      } catch (error) {
        if (this.stopping.signal.aborted) return START_OF_LOG;
        this.logger.warn({ err: error }, 'relay could not load its checkpoint; retrying');
        await backOff(failures, this.stopping.signal);
      }
    }
  }
}

const backOff = (failures: number, signal: AbortSignal): Promise<void> =>
  sleep(Math.min(100 * 2 ** failures, 5000), undefined, { signal }).catch(() => undefined);
