import { OPS_PORT_NAME, ROLES, type ResolvedService, type ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import { containerEnv } from './env';
import type { ChildObject } from './kube-object';
import { selectorLabels, serviceMetadata } from './labels';

/** Whether an autoscaler (HPA or KEDA) owns this Deployment's replica count. */
export const isAutoscaled = (spec: ResolvedSpec, service: ServiceName): boolean =>
  (spec.hpa.enabled && (service === 'writeApi' || service === 'readApi')) ||
  (spec.keda.enabled && service === 'projector');

/** The container's ports: the API port(s) the spec names, then the ops listener's, always named `ops`. */
export const containerPorts = (
  s: ResolvedService,
): { name: string; containerPort: number; protocol: string }[] => [
  ...s.ports.map((p) => ({ name: p.name, containerPort: p.targetPort, protocol: p.protocol })),
  { name: OPS_PORT_NAME, containerPort: s.opsPort, protocol: 'TCP' },
];

/**
 * An HTTP probe on the ops listener. By port name, so the probe follows the container's `ops` port; the public port
 * would not do: it serves only a static /healthz and no /readyz.
 */
export const opsProbe = (path: '/healthz' | '/readyz', periodSeconds: number) => ({
  httpGet: { path, port: OPS_PORT_NAME },
  periodSeconds,
  timeoutSeconds: 2,
  failureThreshold: 3,
});

/** `prometheus.io/*` pod annotations; the port must be a number (the convention has no named ports). */
export const scrapeAnnotations = (spec: ResolvedSpec, s: ResolvedService): Record<string, string> =>
  spec.monitoring.prometheus
    ? {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(s.opsPort),
        'prometheus.io/path': '/metrics',
      }
    : {};

/**
 * The pod's securityContext with the spec's sysctls. Left out when there are none, so the operator's server-side
 * apply claims no securityContext field it has nothing to say about.
 */
export const podSecurityContext = (spec: ResolvedSpec): Record<string, unknown> =>
  spec.sysctls.length
    ? { securityContext: { sysctls: spec.sysctls.map(({ name, value }) => ({ name, value })) } }
    : {};

/** One role's Deployment: its command, ports, env, probes on the ops listener and the pod's kernel settings. */
export function desiredDeployment(seckill: Seckill, spec: ResolvedSpec, service: ServiceName): ChildObject {
  const s = spec.services[service];
  const role = ROLES[service];
  const podAnnotations = scrapeAnnotations(spec, s);
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
          ...podSecurityContext(spec),
          containers: [
            {
              name: role.slug,
              image: s.image,
              imagePullPolicy: spec.imagePullPolicy,
              args: [role.command],
              ports: containerPorts(s),
              env: containerEnv(spec, service),
              ...(s.envFrom.length ? { envFrom: s.envFrom } : {}),
              ...(Object.keys(s.resources).length ? { resources: s.resources } : {}),
              readinessProbe: opsProbe('/readyz', 5),
              livenessProbe: opsProbe('/healthz', 10),
            },
          ],
        },
      },
    },
  };
}
