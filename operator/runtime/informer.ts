import { makeInformer, V1ListMeta, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  plural: string;
}

/** `/apis/<group>/<version>[/namespaces/<ns>]/<plural>`: the list/watch path client-node's informer takes. */
export function watchPath(kind: WatchedKind, namespace: string | undefined): string {
  const root = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return `${root}${namespace ? `/namespaces/${namespace}` : ''}/${kind.plural}`;
}

export type ListFn = () => Promise<{ items: KubernetesObject[]; resourceVersion: string | undefined }>;

/**
 * An informer that stays up: client-node's relists on 410 and reconnects on timeouts, but on any other error it
 * emits `error` and stops for good, so this restarts it with exponential back-off (1 s doubling to 60 s).
 */
export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private synced = false;

  constructor(
    config: KubeConfig,
    readonly kind: WatchedKind,
    namespace: string | undefined,
    list: ListFn,
    private readonly onChange: (object: T) => void,
    private readonly log: Logger,
    labelSelector?: string,
  ) {
    this.informer = makeInformer<T>(
      config,
      watchPath(kind, namespace),
      async () => {
        const result = await list();
        const metadata = Object.assign(new V1ListMeta(), { resourceVersion: result.resourceVersion });
        // List items come without apiVersion and kind; the cache and pruning need both. This is where the server's
        // objects become the caller's type (the API server and, for Seckills, the CRD schema vouch for the shape).
        const items = result.items.map(
          (item) => ({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }) as T,
        );
        return { apiVersion: 'v1', kind: 'List', items, metadata };
      },
      labelSelector,
    );
    for (const verb of ['add', 'update', 'delete'] as const)
      this.informer.on(verb, (o: T) => this.onChange(o));
    this.informer.on('connect', () => {
      this.synced = true;
      this.failures = 0;
    });
    this.informer.on('error', (error: unknown) => this.restartLater(error));
  }

  /** Whether the first list has completed (the cache is usable). */
  get hasSynced(): boolean {
    return this.synced;
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  get(name: string, namespace: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.informer.start();
      this.synced = true;
    } catch (error) {
      this.restartLater(error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.informer.stop();
  }

  private restartLater(error: unknown): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(1000 * 2 ** this.failures, 60_000);
    this.failures++;
    this.log.warn(
      { kind: this.kind.kind, err: error instanceof Error ? error.message : String(error), retryInMs: delay },
      'informer failed; restarting',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, delay);
  }
}
