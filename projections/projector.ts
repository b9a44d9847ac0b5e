import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../commands/logger-port';
import type { BusConsumer, EventBus } from './event-bus-port';
import type { Projection } from './projection';
import type { ProjectionWriter } from './projection-writer';
import type { Generation, ReadModelCatalog, ReadShards } from './read-model-ports';

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
        const generations = await this.catalog.current(this.projection.name);
        await this.prepare(generations);
        for (const generation of generations) await this.writer.write(this.projection, generation, messages);
        await consumer.ack(messages);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.warn(
          { err: error, projection: this.projection.name, failures },
          'projection batch failed; it will be redelivered',
        );
        await sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
    await consumer.close();
  }

  private async prepare(generations: readonly Generation[]): Promise<void> {
    for (const generation of generations) {
      if (this.prepared.has(generation.generation)) continue;
      await this.shards.ensureTables(generation, this.projection.ddl(`_g${generation.generation}`));
      this.prepared.add(generation.generation);
    }
  }
}
