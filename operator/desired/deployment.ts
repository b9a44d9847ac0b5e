import { ROLES, type ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import { containerEnv } from './env';
import type { ChildObject } from './kube-object';
import { selectorLabels, serviceMetadata } from './labels';

/** Whether an autoscaler (HPA or KEDA) owns this Deployment's replica count. */
export const isAutoscaled = (spec: ResolvedSpec, service: ServiceName): boolean =>
  (spec.hpa.enabled && (service === 'writeApi' || service === 'readApi')) ||
  (spec.keda.enabled && service === 'projector');

export function desiredDeployment(seckill: Seckill, spec: ResolvedSpec, service: ServiceName): ChildObject {
  const s = spec.services[service];
  const role = ROLES[service];
  const opsPort = s.ports[0]?.targetPort ?? role.defaultPort;
  const podAnnotations: Record<string, string> = spec.monitoring.prometheus
    ? {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(opsPort),
        'prometheus.io/path': '/metrics',
      }
    : {};
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: opsPort },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: serviceMetadata(seckill, service),
    spec: {
      // Left out under an autoscaler: applying it would fight the HPA that KEDA or we created.
      ...(isAutoscaled(spec, service) ? {} : { replicas: s.replicas }),
      selector: { matchLabels: selectorLabels(seckill, service) },
      template: {
        metadata: {
          labels: selectorLabels(seckill, service),
          ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}),
        },
        spec: {
          containers: [
            {
              name: role.slug,
              image: s.image,
              imagePullPolicy: spec.imagePullPolicy,
              args: [role.command],
              ports: s.ports.map((p) => ({
                name: p.name,
                containerPort: p.targetPort,
                protocol: p.protocol,
              })),
              env: containerEnv(spec, service),
              ...(s.envFrom.length ? { envFrom: s.envFrom } : {}),
              ...(Object.keys(s.resources).length ? { resources: s.resources } : {}),
              readinessProbe: probe('/readyz', 5),
              livenessProbe: probe('/healthz', 10),
            },
          ],
        },
      },
    },
  };
}
