import type { Server } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { SECKILL_API_VERSION, SECKILL_KIND, SECKILL_PLURAL, type Seckill } from '../api/seckill-types';
import type { Capabilities } from '../desired/desired-state';
import { MANAGED_SELECTOR, SECKILL_LABEL } from '../desired/labels';
import { ResilientInformer, type WatchedKind } from '../runtime/informer';
import { describeError, statusOf } from '../runtime/api-errors';
import type { KubeApi } from '../runtime/kube-api';
import { LeaderElector } from '../runtime/leader-election';
import { createOperatorMetrics } from '../runtime/metrics';
import { startOpsServer } from '../runtime/ops-server';
import { WorkQueue } from '../runtime/workqueue';
import { readProjectionLag } from './lag-reader';
import { SeckillReconciler, type ObservedChild } from './seckill-reconciler';

export interface ManagerOptions {
  /** Namespace to watch; undefined watches every namespace. */
  namespace: string | undefined;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  metricsHost: string;
  metricsPort: number;
  workers: number;
  resyncMs: number;
  lagPollMs: number;
}

const SECKILL_WATCH: WatchedKind = {
  apiVersion: SECKILL_API_VERSION,
  kind: SECKILL_KIND,
  plural: SECKILL_PLURAL,
};

/** The child kinds to watch, given what the server serves (a kind whose CRD is missing is not watched). */
function childKinds(capabilities: Capabilities): WatchedKind[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
    { apiVersion: 'v1', kind: 'Service', plural: 'services' },
    { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
    {
      apiVersion: capabilities.hpaApiVersion,
      kind: 'HorizontalPodAutoscaler',
      plural: 'horizontalpodautoscalers',
    },
    ...(capabilities.keda
      ? [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' }]
      : []),
    ...(capabilities.serviceMonitor
      ? [{ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors' }]
      : []),
  ];
}

type Labelled = KubernetesObject & { metadata?: { labels?: Record<string, string> } };

/**
 * controller-runtime's manager in small: an ops server always, and, while this replica leads, informers on Seckills
 * and their children feeding a deduping work queue that a few workers drain through the reconciler.
 */
export class OperatorManager {
  readonly metrics = createOperatorMetrics();
  private readonly queue = new WorkQueue();
  private readonly informers = new Map<string, ResilientInformer<Labelled>>();
  private seckills: ResilientInformer<Seckill & KubernetesObject> | undefined;
  private capabilities: Capabilities = {
    hpaApiVersion: 'autoscaling/v2',
    keda: false,
    serviceMonitor: false,
  };
  private readonly reconciler: SeckillReconciler;
  private elector: LeaderElector | undefined;
  private server: Server | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping = false;

  constructor(
    private readonly api: KubeApi,
    private readonly options: ManagerOptions,
    private readonly log: Logger,
    private readonly onLostLeadership: () => void,
  ) {
    this.reconciler = new SeckillReconciler({
      api,
      recordEvent: (seckill, event) => {
        api.recordEvent(seckill, event, options.identity).catch((error: unknown) => {
          log.warn({ err: describeError(error), reason: event.reason }, 'could not record an event');
        });
      },
      getSeckill: (namespace, name) => this.seckills?.get(name, namespace),
      childrenOf: (namespace, name) => this.childrenOf(namespace, name),
      capabilities: () => this.capabilities,
      readLag: (url) => readProjectionLag(url),
      now: () => new Date(),
      log,
      lagPollMs: options.lagPollMs,
    });
  }

  async start(): Promise<void> {
    this.server = await startOpsServer(
      this.options.metricsPort,
      this.options.metricsHost,
      this.metrics.registry,
      {
        healthy: () => !this.stopping,
        ready: () => !this.running || this.allSynced(),
        status: () => ({ leader: this.running, identity: this.options.identity }),
      },
    );
    if (!this.options.leaderElection) return this.startControllers();
    this.elector = new LeaderElector(
      this.api,
      (error) => statusOf(error) === 404,
      {
        namespace: this.options.leaseNamespace,
        name: this.options.leaseName,
        identity: this.options.identity,
      },
      {
        onStartedLeading: () => {
          this.startControllers().catch((error: unknown) => {
            this.log.error({ err: describeError(error) }, 'could not start the controllers');
            this.onLostLeadership();
          });
        },
        onStoppedLeading: () => this.onLostLeadership(),
      },
      this.log,
    );
    this.elector.run();
  }

  /** SIGTERM: stop taking work, stop the informers, hand the Lease back, close the ops server. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.allSettled(
      [...this.informers.values(), ...(this.seckills ? [this.seckills] : [])].map((i) => i.stop()),
    );
    await this.elector?.stop();
    this.metrics.leader.set(0);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async startControllers(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    this.metrics.leader.set(1);
    await this.refreshCapabilities();
    const ns = this.options.namespace;
    this.seckills = new ResilientInformer<Seckill & KubernetesObject>(
      this.api.config,
      SECKILL_WATCH,
      ns,
      () => this.api.list(SECKILL_API_VERSION, SECKILL_KIND, ns),
      (seckill) => this.enqueue(seckill.metadata.namespace, seckill.metadata.name),
      this.log,
    );
    await this.seckills.start();
    await this.ensureChildInformers();
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncMs);
    this.resyncTimer.unref();
    for (let i = 0; i < this.options.workers; i++) void this.worker();
    this.log.info({ namespace: ns ?? '(all)', capabilities: this.capabilities }, 'controllers started');
  }

  private async refreshCapabilities(): Promise<void> {
    try {
      const served = await this.api.servedGroupVersions();
      this.capabilities = {
        hpaApiVersion: served.has('autoscaling/v2') ? 'autoscaling/v2' : 'autoscaling/v2beta2',
        keda: served.has('keda.sh/v1alpha1'),
        serviceMonitor: served.has('monitoring.coreos.com/v1'),
      };
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 'discovery failed; keeping the last known capabilities');
    }
  }

  /** Starts an informer for every child kind the server now serves (KEDA installed after the operator, say). */
  private async ensureChildInformers(): Promise<void> {
    const ns = this.options.namespace;
    for (const kind of childKinds(this.capabilities)) {
      const key = `${kind.apiVersion}/${kind.kind}`;
      if (this.informers.has(key)) continue;
      const informer = new ResilientInformer<Labelled>(
        this.api.config,
        kind,
        ns,
        () => this.api.list(kind.apiVersion, kind.kind, ns, MANAGED_SELECTOR),
        (child) => {
          const owner = child.metadata?.labels?.[SECKILL_LABEL];
          if (owner && child.metadata?.namespace) this.enqueue(child.metadata.namespace, owner);
        },
        this.log,
        MANAGED_SELECTOR,
      );
      this.informers.set(key, informer);
      await informer.start();
    }
  }

  private async resync(): Promise<void> {
    await this.refreshCapabilities();
    await this.ensureChildInformers();
    for (const s of this.seckills?.list() ?? []) this.enqueue(s.metadata.namespace, s.metadata.name);
  }

  private enqueue(namespace: string | undefined, name: string | undefined): void {
    if (!namespace || !name) return;
    this.queue.add(`${namespace}/${name}`);
    this.metrics.queueDepth.set(this.queue.depth);
  }

  private childrenOf(namespace: string, name: string): ObservedChild[] {
    const children: ObservedChild[] = [];
    for (const informer of this.informers.values()) {
      for (const child of informer.list()) {
        if (child.metadata?.namespace !== namespace || child.metadata.labels?.[SECKILL_LABEL] !== name)
          continue;
        children.push({
          ...(child as ObservedChild),
          apiVersion: informer.kind.apiVersion,
          kind: informer.kind.kind,
        });
      }
    }
    return children;
  }

  private allSynced(): boolean {
    return (this.seckills?.hasSynced ?? false) && [...this.informers.values()].every((i) => i.hasSynced);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      this.metrics.queueDepth.set(this.queue.depth);
      if (key === undefined) return;
      const [namespace = '', name = ''] = key.split('/');
      const endTimer = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(namespace, name);
        if (result.error) {
          const delay = this.queue.addRateLimited(key);
          this.metrics.reconciles.inc({ result: 'error' });
          this.metrics.reconcileErrors.inc();
          this.log.warn({ key, err: result.error.message, retryInMs: delay }, 'reconcile failed; requeued');
        } else {
          this.queue.forget(key);
          this.metrics.reconciles.inc({ result: result.requeueAfterMs ? 'requeue' : 'success' });
          if (result.requeueAfterMs) this.queue.addAfter(key, result.requeueAfterMs);
        }
      } catch (error) {
        const delay = this.queue.addRateLimited(key);
        this.metrics.reconciles.inc({ result: 'error' });
        this.metrics.reconcileErrors.inc();
        this.log.error({ key, err: describeError(error), retryInMs: delay }, 'reconcile threw; requeued');
      } finally {
        endTimer();
        this.queue.done(key);
        this.metrics.queueDepth.set(this.queue.depth);
      }
    }
  }
}
