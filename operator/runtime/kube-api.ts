import {
  ApisApi,
  CoordinationV1Api,
  CoreV1Api,
  CoreV1Event,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  V1EventSource,
  V1Lease,
  V1LeaseSpec,
  V1MicroTime,
  V1ObjectMeta,
  V1ObjectReference,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ChildObject } from '../desired/kube-object';
import { statusOf } from './api-errors';
import { FIELD_MANAGER } from '../desired/labels';
import type { Seckill, SeckillStatus } from '../api/seckill-types';
import {
  SECKILL_API_VERSION,
  SECKILL_GROUP,
  SECKILL_KIND,
  SECKILL_PLURAL,
  SECKILL_VERSION,
} from '../api/seckill-types';

/** An object's address on the server. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** A coordination.k8s.io/v1 Lease as leader election reads and writes it (plain data, times as Dates). */
export interface LeaseRecord {
  namespace: string;
  name: string;
  /** Set on records read from the server; a replace sends it back, so a concurrent writer makes it fail with 409. */
  resourceVersion?: string;
  holderIdentity: string;
  leaseDurationSeconds?: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions?: number;
}

/**
 * client-node's models are classes, yet only data: its serializer reads their fields. This builds one from plain
 * fields without pretending a literal is an instance.
 */
function model<C extends object>(Class: new () => C, fields: Partial<C>): C {
  return Object.assign(new Class(), fields);
}

/**
 * The few Kubernetes calls the operator makes, over @kubernetes/client-node. Everything it writes goes through
 * server-side apply under one field manager, forced: the operator is the authority on the fields it sets.
 */
export class KubeApi {
  readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly apis: ApisApi;

  constructor(readonly config: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(config);
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.core = config.makeApiClient(CoreV1Api);
    this.coordination = config.makeApiClient(CoordinationV1Api);
    this.apis = config.makeApiClient(ApisApi);
  }

  /** KUBECONFIG, ~/.kube/config or the in-cluster service account, like kubectl. */
  static fromEnvironment(kubeconfigPath?: string): KubeApi {
    const config = new KubeConfig();
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else config.loadFromDefault();
    return new KubeApi(config);
  }

  /** Server-side apply; returns the object's resourceVersion after the apply (unchanged when nothing changed). */
  async apply(object: ChildObject): Promise<string | undefined> {
    const applied = await this.objects.patch<KubernetesObject>(
      object,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    return applied.metadata?.resourceVersion;
  }

  /** Deletes in the background (dependents go to the garbage collector); an object already gone is fine. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.objects.delete(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: model(V1ObjectMeta, { name: ref.name, namespace: ref.namespace }),
        },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<{ items: KubernetesObject[]; resourceVersion: string | undefined }> {
    const list = await this.objects.list(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
  }

  /** Writes the status through the /status subresource (SSA), so it never touches the spec or bumps generation. */
  async applyStatus(seckill: Seckill, status: SeckillStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: SECKILL_GROUP,
        version: SECKILL_VERSION,
        plural: SECKILL_PLURAL,
        namespace: seckill.metadata.namespace,
        name: seckill.metadata.name,
        body: {
          apiVersion: SECKILL_API_VERSION,
          kind: SECKILL_KIND,
          metadata: { name: seckill.metadata.name, namespace: seckill.metadata.namespace },
          status,
        },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }

  async getSeckill(namespace: string, name: string): Promise<Seckill | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: SECKILL_GROUP,
        version: SECKILL_VERSION,
        plural: SECKILL_PLURAL,
        namespace,
        name,
      })) as Seckill;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Records a core/v1 Event on the Seckill (what `kubectl describe sk` and `kubectl get events` show). */
  async recordEvent(seckill: Seckill, event: EventInput, reportingInstance: string): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: seckill.metadata.namespace,
      body: model(CoreV1Event, {
        metadata: model(V1ObjectMeta, {
          generateName: `${seckill.metadata.name}.`,
          namespace: seckill.metadata.namespace,
        }),
        involvedObject: model(V1ObjectReference, {
          apiVersion: SECKILL_API_VERSION,
          kind: SECKILL_KIND,
          name: seckill.metadata.name,
          namespace: seckill.metadata.namespace,
          uid: seckill.metadata.uid,
          resourceVersion: seckill.metadata.resourceVersion,
        }),
        type: event.type,
        reason: event.reason,
        message: event.message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: model(V1EventSource, { component: FIELD_MANAGER }),
        reportingComponent: FIELD_MANAGER,
        reportingInstance,
      }),
    });
  }

  /** The group/versions the server serves (discovery), e.g. `autoscaling/v2`, `keda.sh/v1alpha1`. */
  async servedGroupVersions(): Promise<Set<string>> {
    const groups = await this.apis.getAPIVersions();
    return new Set(groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)));
  }

  async readLease(namespace: string, name: string): Promise<LeaseRecord> {
    return fromLease(await this.coordination.readNamespacedLease({ namespace, name }));
  }

  async createLease(record: LeaseRecord): Promise<void> {
    await this.coordination.createNamespacedLease({ namespace: record.namespace, body: toLease(record) });
  }

  /** Replaces the Lease at the record's resourceVersion: optimistic, 409 when someone wrote first. */
  async replaceLease(record: LeaseRecord): Promise<LeaseRecord> {
    return fromLease(
      await this.coordination.replaceNamespacedLease({
        namespace: record.namespace,
        name: record.name,
        body: toLease(record),
      }),
    );
  }
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec;
  return {
    namespace: lease.metadata?.namespace ?? '',
    name: lease.metadata?.name ?? '',
    resourceVersion: lease.metadata?.resourceVersion,
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds,
    acquireTime: asDate(spec?.acquireTime),
    renewTime: asDate(spec?.renewTime),
    leaseTransitions: spec?.leaseTransitions,
  };
}

/** client-node types MicroTimes as Dates but hands them over as the server's strings: normalise. */
const asDate = (value: Date | undefined) => (value === undefined ? undefined : new Date(value));

/** Lease times are MicroTime: the server rejects them (400) without six fractional digits. */
const micro = (date: Date | undefined) => (date ? new V1MicroTime(date.getTime()) : undefined);

function toLease(record: LeaseRecord): V1Lease {
  return model(V1Lease, {
    metadata: model(V1ObjectMeta, {
      name: record.name,
      namespace: record.namespace,
      ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}),
    }),
    spec: model(V1LeaseSpec, {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: micro(record.acquireTime),
      renewTime: micro(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    }),
  });
}
