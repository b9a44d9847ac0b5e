import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../commands/logger-port';
import type { BusConsumer, BusMessage, EventBus } from './event-bus-port';
import type { Projection } from './projection';
import type { ProjectionWriter } from './projection-writer';
import type { DeadLetter, Generation, ReadModelCatalog, ReadShards } from './read-model-ports';

export interface ProjectorOptions {
  readonly consumerName: string;
  readonly batchSize: number;
  readonly waitMs: number;
  /** Shards of the first generation, when a read model has none yet. */
  readonly initialShards: number;
}

/**
 * Feeds one read model from the bus: every generation that is live or being rebuilt gets each batch, then the batch is
 * acknowledged. A crash before the ack means redelivery, which the projections absorb.
 */
export class Projector {
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly prepared = new Set<number>();

  constructor(
    private readonly projection: Projection,
    private readonly bus: EventBus,
    private readonly catalog: ReadModelCatalog,
    private readonly shards: ReadShards,
    private readonly writer: ProjectionWriter,
    private readonly logger: Logger,
    private readonly options: ProjectorOptions,
    private readonly onDeadLetter: (letter: DeadLetter) => void = () => undefined,
  ) {}

  get group(): string {
    return `projector-${this.projection.name}`;
  }

  async start(): Promise<void> {
    await this.prepare([await this.catalog.ensureLive(this.projection.name, this.options.initialShards)]);
    const consumer = await this.bus.consumer(this.group, this.options.consumerName);
    this.running = this.loop(consumer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(consumer: BusConsumer): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const messages = await consumer.receive(this.options.batchSize, this.options.waitMs);
        if (messages.length === 0) continue;
        if (await this.applyUntilDone(messages)) await consumer.ack(messages);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.warn(
          { err: error, projection: this.projection.name, failures },
          'projection could not receive or acknowledge; retrying',
        );
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
    await consumer.close();
  }

  /**
   * Applies a batch to every generation, retrying it here while a database is away: a redelivered batch counts
   * against the bus's delivery limit, and an outage must never push good events into its dead letters. Events the
   * projection cannot apply are set aside by the writer, logged and counted. False when stopped first (the batch is
   * then redelivered to whoever runs next).
   */
  private async applyUntilDone(messages: readonly BusMessage[]): Promise<boolean> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        const generations = await this.catalog.current(this.projection.name);
        await this.prepare(generations);
        for (const generation of generations) {
          const dead = await this.writer.write(this.projection, generation, messages);
          for (const letter of dead) {
            this.onDeadLetter(letter);
            this.logger.error(
              {
                projection: this.projection.name,
                generation: generation.generation,
                eventId: letter.eventId,
                eventType: letter.type,
                schemaVersion: letter.schemaVersion,
                streamId: letter.streamId,
                position: letter.position.toString(),
                reason: letter.reason,
              },
              'event set aside as a dead letter: the projection cannot apply it',
            );
          }
        }
        return true;
      } catch (error) {
        this.logger.warn(
          { err: error, projection: this.projection.name, failures: failures + 1 },
          'projection batch failed; retrying it',
        );
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
    return false;
  }

  private async prepare(generations: readonly Generation[]): Promise<void> {
    for (const generation of generations) {
      if (this.prepared.has(generation.generation)) continue;
      await this.shards.ensureTables(generation, this.projection.ddl(`_g${generation.generation}`));
      this.prepared.add(generation.generation);
    }
  }
}
