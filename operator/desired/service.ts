import { OPS_PORT_NAME, type ResolvedService, type ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import type { ChildObject } from './kube-object';
import { selectorLabels, serviceMetadata } from './labels';

/** The Service's ports: the API port(s) the spec names (none for relay and projector by default), then `ops`. */
export const servicePorts = (
  s: ResolvedService,
): { name: string; port: number; targetPort: number; protocol: string }[] => [
  ...s.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })),
  // The ServiceMonitor scrapes, and KEDA and the operator read the lag through, this port.
  { name: OPS_PORT_NAME, port: s.opsPort, targetPort: s.opsPort, protocol: 'TCP' },
];

/** One role's ClusterIP Service, selecting only this Seckill's pods of that role. */
export function desiredService(seckill: Seckill, spec: ResolvedSpec, service: ServiceName): ChildObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMetadata(seckill, service),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(seckill, service),
      ports: servicePorts(spec.services[service]),
    },
  };
}
