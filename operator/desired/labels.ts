import { SECKILL_API_VERSION, SECKILL_KIND, type Seckill, type ServiceName } from '../api/seckill-types';
import { ROLES } from '../api/defaults';
import type { ChildMetadata, OwnerReference } from './kube-object';

export const FIELD_MANAGER = 'couponkill-operator';
export const SECKILL_LABEL = 'ops.couponkill.io/seckill';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Selects every object this operator manages (informers watch only these). */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`;

export const childName = (seckill: Seckill, service: ServiceName): string =>
  `${seckill.metadata.name}-${ROLES[service].slug}`;

/** Pod selector: includes the Seckill's name, so two Seckills in one namespace never select each other's pods. */
export const selectorLabels = (seckill: Seckill, service: ServiceName): Record<string, string> => ({
  'app.kubernetes.io/name': 'couponkill',
  'app.kubernetes.io/instance': seckill.metadata.name,
  'app.kubernetes.io/component': ROLES[service].slug,
});

export const commonLabels = (seckill: Seckill): Record<string, string> => ({
  'app.kubernetes.io/name': 'couponkill',
  'app.kubernetes.io/instance': seckill.metadata.name,
  'app.kubernetes.io/part-of': 'couponkill',
  [MANAGED_BY_LABEL]: FIELD_MANAGER,
  [SECKILL_LABEL]: seckill.metadata.name,
});

export const ownerReference = (seckill: Seckill): OwnerReference => ({
  apiVersion: SECKILL_API_VERSION,
  kind: SECKILL_KIND,
  name: seckill.metadata.name,
  uid: seckill.metadata.uid,
  controller: true,
  blockOwnerDeletion: true,
});

export const childMetadata = (
  seckill: Seckill,
  name: string,
  extraLabels: Record<string, string> = {},
): ChildMetadata => ({
  name,
  namespace: seckill.metadata.namespace,
  labels: { ...commonLabels(seckill), ...extraLabels },
  ownerReferences: [ownerReference(seckill)],
});

export const serviceMetadata = (seckill: Seckill, service: ServiceName): ChildMetadata =>
  childMetadata(seckill, childName(seckill, service), selectorLabels(seckill, service));

/** The user's labels added under the operator's: a user label never replaces one the operator selects or prunes by. */
export const withLabelsUnder = (
  metadata: ChildMetadata,
  user: Record<string, string> | undefined,
): ChildMetadata => ({ ...metadata, labels: { ...user, ...metadata.labels } });
