import type { ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import type { ChildObject } from './kube-object';
import { selectorLabels, serviceMetadata } from './labels';

export function desiredService(seckill: Seckill, spec: ResolvedSpec, service: ServiceName): ChildObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMetadata(seckill, service),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(seckill, service),
      ports: spec.services[service].ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
      })),
    },
  };
}
