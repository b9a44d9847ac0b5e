import type { ProjectionName } from './projection';
import type { Generation, ReadModelCatalog } from './read-model-ports';

const TTL_MS = 1000;

/** The live generation of each read model, as queries see it; re-read at most once a second. */
export class LiveGenerations {
  private readonly cache = new Map<ProjectionName, { generation: Generation | null; at: number }>();

  constructor(private readonly catalog: ReadModelCatalog) {}

  async of(projection: ProjectionName): Promise<Generation | null> {
    const cached = this.cache.get(projection);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.generation;
    const generation = (await this.catalog.current(projection)).find((g) => g.state === 'live') ?? null;
    this.cache.set(projection, { generation, at: Date.now() });
    return generation;
  }
}
