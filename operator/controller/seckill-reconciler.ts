import type { Logger } from 'pino';
import { withDefaults } from '../api/defaults';
import { SERVICE_NAMES, type Seckill, type ServiceName } from '../api/seckill-types';
import { desiredState, type Capabilities } from '../desired/desired-state';
import { childKey, type ChildObject } from '../desired/kube-object';
import { childName } from '../desired/labels';
import { lagUrl } from '../desired/scaled-object';
import { computeStatus, statusChanged, type ObservedDeployment } from '../status/status';
import { describeError } from '../runtime/api-errors';
import type { EventInput, KubeApi, ObjectRef } from '../runtime/kube-api';

/** A child as the informer caches hold it: enough to tell ownership, version and Deployment readiness. */
export interface ObservedChild {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    ownerReferences?: { uid: string; controller?: boolean }[];
  };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number };
}

export interface ReconcilerDeps {
  api: Pick<KubeApi, 'apply' | 'delete' | 'applyStatus'>;
  recordEvent: (seckill: Seckill, event: EventInput) => void;
  getSeckill: (namespace: string, name: string) => Seckill | undefined;
  /** Every cached child labelled with this Seckill's name in its namespace, of every kind the operator manages. */
  childrenOf: (namespace: string, name: string) => ObservedChild[];
  capabilities: () => Capabilities;
  readLag: (url: string) => Promise<number | undefined>;
  now: () => Date;
  log: Logger;
  /** How often lag is re-read into the status while a Seckill is otherwise steady. */
  lagPollMs?: number;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  error?: Error;
}

/**
 * One level-based pass for one Seckill: apply what it should own, delete what it owns but should not, then write
 * the status if it changed. Safe to run any number of times; every step reads the world rather than remembering it.
 */
export class SeckillReconciler {
  /** resourceVersions we got back from our own applies: the caches may not have seen them yet (no false events). */
  private readonly appliedVersions = new Map<string, string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const seckill = this.deps.getSeckill(namespace, name);
    // Gone, or going: its children carry owner references, so the garbage collector removes them.
    if (!seckill || seckill.metadata.deletionTimestamp) {
      this.forget(namespace, name);
      return {};
    }
    const { objects, unsupported } = desiredState(seckill, this.deps.capabilities());
    const owned = this.ownedChildren(seckill);
    const ownedByKey = new Map(
      owned.map((c) => [childKey({ kind: c.kind ?? '', metadata: c.metadata ?? {} }), c]),
    );

    const failures: string[] = [];
    for (const object of objects) {
      const failure = await this.applyOne(seckill, object, ownedByKey.get(childKey(object)));
      if (failure) failures.push(failure);
    }
    const desiredKeys = new Set(objects.map(childKey));
    for (const [key, child] of ownedByKey) {
      if (desiredKeys.has(key)) continue;
      const failure = await this.deleteOne(seckill, child);
      if (failure) failures.push(failure);
    }

    const spec = withDefaults(seckill.spec);
    // Read again: the caches may already show what this pass applied (a Deployment that now exists is not Pending).
    const deployments = this.observedDeployments(seckill, this.ownedChildren(seckill));
    const lagKnown = spec.keda.lagUrl !== undefined || spec.services.readApi.enabled;
    const lag = lagKnown ? await this.deps.readLag(lagUrl(seckill, spec)) : undefined;
    const error = failures.length ? failures.join('; ') : undefined;
    const status = computeStatus(seckill, { deployments, lag, error, unsupported }, this.deps.now());
    if (statusChanged(seckill.status, status)) {
      try {
        await this.deps.api.applyStatus(seckill, status);
      } catch (e) {
        failures.push(`status: ${describeError(e)}`);
      }
      if (status.phase !== seckill.status?.phase)
        this.deps.recordEvent(seckill, {
          type: status.phase === 'Degraded' ? 'Warning' : 'Normal',
          reason: `Phase${status.phase ?? ''}`,
          message: `phase ${seckill.status?.phase ?? 'none'} → ${status.phase ?? ''} (${status.readyServices ?? ''} services ready)`,
        });
    }
    if (failures.length) return { error: new Error(failures.join('; ')) };
    return lagKnown ? { requeueAfterMs: this.deps.lagPollMs ?? 30_000 } : {};
  }

  private async applyOne(seckill: Seckill, object: ChildObject, cached: ObservedChild | undefined) {
    const key = this.versionKey(seckill, object);
    const before = this.appliedVersions.get(key) ?? cached?.metadata?.resourceVersion;
    try {
      const after = await this.deps.api.apply(object);
      if (after) this.appliedVersions.set(key, after);
      if (before === undefined)
        this.deps.recordEvent(seckill, {
          type: 'Normal',
          reason: 'Created',
          message: `created ${childKey(object)}`,
        });
      else if (after !== undefined && after !== before && cached?.metadata?.resourceVersion !== after)
        this.deps.recordEvent(seckill, {
          type: 'Normal',
          reason: 'Updated',
          message: `updated ${childKey(object)}`,
        });
      return undefined;
    } catch (error) {
      const message = `apply ${childKey(object)}: ${describeError(error)}`;
      this.deps.recordEvent(seckill, { type: 'Warning', reason: 'ApplyFailed', message });
      return message;
    }
  }

  private async deleteOne(seckill: Seckill, child: ObservedChild) {
    const ref: ObjectRef = {
      apiVersion: child.apiVersion ?? '',
      kind: child.kind ?? '',
      namespace: seckill.metadata.namespace,
      name: child.metadata?.name ?? '',
    };
    const key = `${ref.kind}/${ref.name}`;
    try {
      if (await this.deps.api.delete(ref))
        this.deps.recordEvent(seckill, { type: 'Normal', reason: 'Deleted', message: `deleted ${key}` });
      this.appliedVersions.delete(`${seckill.metadata.namespace}/${seckill.metadata.name}/${key}`);
      return undefined;
    } catch (error) {
      const message = `delete ${key}: ${describeError(error)}`;
      this.deps.recordEvent(seckill, { type: 'Warning', reason: 'DeleteFailed', message });
      return message;
    }
  }

  /** Cached children this Seckill controls (by owner uid: a same-named Seckill recreated later owns nothing yet). */
  private ownedChildren(seckill: Seckill): ObservedChild[] {
    return this.deps
      .childrenOf(seckill.metadata.namespace, seckill.metadata.name)
      .filter((c) =>
        c.metadata?.ownerReferences?.some((o) => o.uid === seckill.metadata.uid && o.controller),
      );
  }

  private observedDeployments(seckill: Seckill, owned: ObservedChild[]) {
    const deployments: Partial<Record<ServiceName, ObservedDeployment>> = {};
    for (const service of SERVICE_NAMES) {
      const d = owned.find(
        (c) => c.kind === 'Deployment' && c.metadata?.name === childName(seckill, service),
      );
      if (!d) continue;
      deployments[service] = {
        generation: d.metadata?.generation ?? 0,
        replicas: d.spec?.replicas ?? 1,
        observedGeneration: d.status?.observedGeneration,
        readyReplicas: d.status?.readyReplicas,
        updatedReplicas: d.status?.updatedReplicas,
      };
    }
    return deployments;
  }

  private versionKey(seckill: Seckill, object: ChildObject): string {
    return `${seckill.metadata.namespace}/${seckill.metadata.name}/${childKey(object)}`;
  }

  private forget(namespace: string, name: string): void {
    const prefix = `${namespace}/${name}/`;
    for (const key of this.appliedVersions.keys())
      if (key.startsWith(prefix)) this.appliedVersions.delete(key);
  }
}
