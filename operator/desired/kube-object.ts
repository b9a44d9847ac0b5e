/** A Kubernetes object as the operator applies it: plain JSON, so pure code and tests need no client library. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

export interface ChildMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences: OwnerReference[];
}

export interface ChildObject {
  apiVersion: string;
  kind: string;
  metadata: ChildMetadata;
  [field: string]: unknown;
}

/** The kinds the operator may create; pruning lists exactly these. */
export const CHILD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
] as const;

export type ChildKind = (typeof CHILD_KINDS)[number]['kind'];

/** `Kind/name`: children are unique by it within a Seckill's namespace. */
export const childKey = (object: { kind: string; metadata: { name?: string } }): string =>
  `${object.kind}/${object.metadata.name ?? ''}`;
