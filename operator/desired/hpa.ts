import type { ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import type { ChildObject } from './kube-object';
import { childName, serviceMetadata } from './labels';

/** The HPA API the server serves: v2 from Kubernetes 1.23 on, v2beta2 before (same shape for resource metrics). */
export type HpaApiVersion = 'autoscaling/v2' | 'autoscaling/v2beta2';

/** CPU autoscaling for the APIs only; the projector scales on lag through KEDA, which makes its own HPA. */
export const HPA_SERVICES: readonly ServiceName[] = ['writeApi', 'readApi'];

export function desiredHpa(
  seckill: Seckill,
  spec: ResolvedSpec,
  service: ServiceName,
  apiVersion: HpaApiVersion,
): ChildObject {
  return {
    apiVersion,
    kind: 'HorizontalPodAutoscaler',
    metadata: serviceMetadata(seckill, service),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: childName(seckill, service) },
      minReplicas: spec.hpa.minReplicas,
      maxReplicas: spec.hpa.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: spec.hpa.targetCPUUtilizationPercentage },
          },
        },
      ],
    },
  };
}
