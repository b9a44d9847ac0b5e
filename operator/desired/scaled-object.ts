import type { ResolvedSpec } from '../api/defaults';
import type { Seckill } from '../api/seckill-types';
import type { ChildObject } from './kube-object';
import { childName, serviceMetadata } from './labels';

/**
 * Where the read API serves `{head, projections, maxLag}`; KEDA and the status both read it. The ops port, not the
 * public one: there the figure is computed per call, while the public port serves a copy cached for a second.
 */
export function lagUrl(seckill: Seckill, spec: ResolvedSpec): string {
  if (spec.keda.lagUrl) return spec.keda.lagUrl;
  const port = spec.services.readApi.opsPort;
  const host = `${childName(seckill, 'readApi')}.${seckill.metadata.namespace}.svc.cluster.local`;
  return `http://${host}:${String(port)}/api/v1/projections/lag`;
}

/**
 * KEDA scales the projector on the read side's own lag figure (event-store head − slowest checkpoint) through the
 * metrics-api scaler: no Prometheus server is needed, and the number is the one the read API already serves.
 * KEDA creates the HPA for this Deployment itself; the operator never adds one.
 */
export function desiredScaledObject(seckill: Seckill, spec: ResolvedSpec): ChildObject {
  const k = spec.keda;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: serviceMetadata(seckill, 'projector'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: childName(seckill, 'projector') },
      pollingInterval: k.pollingInterval,
      cooldownPeriod: k.cooldownPeriod,
      minReplicaCount: k.minReplicaCount,
      maxReplicaCount: k.maxReplicaCount,
      triggers: [
        {
          type: 'metrics-api',
          name: 'projection-lag',
          metricType: 'AverageValue',
          metadata: {
            url: lagUrl(seckill, spec),
            format: 'json',
            valueLocation: 'maxLag',
            targetValue: String(k.lagThreshold),
            activationTargetValue: String(k.activationLagThreshold),
          },
        },
      ],
    },
  };
}
