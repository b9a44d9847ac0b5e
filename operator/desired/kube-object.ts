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

/** `Kind/name`: children are unique by it within a Seckill's namespace. */
export const childKey = (object: { kind: string; metadata: { name?: string } }): string =>
  `${object.kind}/${object.metadata.name ?? ''}`;
