import { OPS_PORT_NAME, ROLES, type ResolvedService, type ResolvedSpec } from '../api/defaults';
import type { PodSpec, Seckill, ServiceName } from '../api/seckill-types';
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
 * Pod Security Standards "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/): a numeric
 * non-root user (the image's `USER 1000:1000`; the kubelet cannot check a user name against runAsNonRoot) and the
 * runtime's default seccomp profile. The pod's `securityContext` is merged over it key by key; sysctls go last.
 */
export const RESTRICTED_POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  fsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** The restricted profile's container part; `containerSecurityContext` is merged over it key by key. */
export const RESTRICTED_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
} as const;

/** The one writable path under a read-only root: Node's and libraries' temporary files (the app writes none). */
const TMP_VOLUME = { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } };

/** The pod's securityContext: the restricted defaults, the spec's overrides, then its sysctls. */
export const podSecurityContext = (pod: PodSpec): Record<string, unknown> => ({
  ...RESTRICTED_POD_SECURITY,
  ...pod.securityContext,
  ...(pod.sysctls?.length ? { sysctls: pod.sysctls.map(({ name, value }) => ({ name, value })) } : {}),
});

/**
 * The pod's affinity: the spec's, with `antiAffinity` turned into a podAntiAffinity term on this role's own selector
 * labels (per node), added to any the spec already has. Undefined when there is nothing to say.
 */
export function podAffinity(
  pod: PodSpec,
  selector: Record<string, string>,
): Record<string, unknown> | undefined {
  const mode = pod.antiAffinity ?? 'none';
  if (mode === 'none') return pod.affinity;
  const term = { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' };
  const existing = (pod.affinity?.podAntiAffinity ?? {}) as Record<string, unknown[] | undefined>;
  const podAntiAffinity =
    mode === 'required'
      ? {
          ...existing,
          requiredDuringSchedulingIgnoredDuringExecution: [
            ...(existing.requiredDuringSchedulingIgnoredDuringExecution ?? []),
            term,
          ],
        }
      : {
          ...existing,
          preferredDuringSchedulingIgnoredDuringExecution: [
            ...(existing.preferredDuringSchedulingIgnoredDuringExecution ?? []),
            { weight: 100, podAffinityTerm: term },
          ],
        };
  return { ...pod.affinity, podAntiAffinity };
}

/** Scheduling and pull settings, each left out when unset so server-side apply claims no field it has no value for. */
function podScheduling(pod: PodSpec, selector: Record<string, string>): Record<string, unknown> {
  const affinity = podAffinity(pod, selector);
  const spread = pod.topologySpreadConstraints?.map((c) =>
    c.labelSelector ? c : { ...c, labelSelector: { matchLabels: selector } },
  );
  return {
    ...(pod.nodeSelector && Object.keys(pod.nodeSelector).length ? { nodeSelector: pod.nodeSelector } : {}),
    ...(pod.tolerations?.length ? { tolerations: pod.tolerations } : {}),
    ...(affinity ? { affinity } : {}),
    ...(spread?.length ? { topologySpreadConstraints: spread } : {}),
    ...(pod.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
    ...(pod.imagePullSecrets?.length ? { imagePullSecrets: pod.imagePullSecrets } : {}),
  };
}

/**
 * The startup probe: liveness and readiness wait until /healthz first answers, which the ops listener does only once
 * the role has started (the write-api after its gate rebuild), so a long rebuild is never killed by liveness.
 * Source: https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/#startup-probe
 */
export const startupProbe = (startupTimeoutSeconds: number) => ({
  httpGet: { path: '/healthz', port: OPS_PORT_NAME },
  periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
  timeoutSeconds: 2,
  failureThreshold: Math.ceil(startupTimeoutSeconds / STARTUP_PROBE_PERIOD_SECONDS),
});

const STARTUP_PROBE_PERIOD_SECONDS = 5;

/**
 * The preStop hook: a sleep in the kubelet (no shell in the image needed) while endpoint controllers and proxies stop
 * routing to the pod; SIGTERM comes after it. Left out at 0, which the sleep action accepts only from Kubernetes 1.33.
 * Source: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/ (sleep action, KEP-3960)
 */
const preStop = (seconds: number) => (seconds > 0 ? { lifecycle: { preStop: { sleep: { seconds } } } } : {});

/**
 * One role's Deployment: its command, ports, env, probes on the ops listener, the shutdown sequence (preStop sleep,
 * drain, grace period), the restricted security context and the spec's pod overrides. The pod's labels are the
 * spec's under the selector labels, so no override can move a pod out of its Deployment or Service.
 */
export function desiredDeployment(seckill: Seckill, spec: ResolvedSpec, service: ServiceName): ChildObject {
  const s = spec.services[service];
  const role = ROLES[service];
  const selector = selectorLabels(seckill, service);
  const podAnnotations = { ...s.pod.annotations, ...scrapeAnnotations(spec, s) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: serviceMetadata(seckill, service),
    spec: {
      // Left out under an autoscaler: applying it would fight the HPA that KEDA or we created.
      ...(isAutoscaled(spec, service) ? {} : { replicas: s.replicas }),
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...s.pod.labels, ...selector },
          ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}),
        },
        spec: {
          securityContext: podSecurityContext(s.pod),
          terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
          ...podScheduling(s.pod, selector),
          volumes: [TMP_VOLUME],
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
              startupProbe: startupProbe(s.startupTimeoutSeconds),
              readinessProbe: opsProbe('/readyz', 5),
              livenessProbe: opsProbe('/healthz', 10),
              ...preStop(s.preStopSleepSeconds),
              securityContext: { ...RESTRICTED_CONTAINER_SECURITY, ...s.pod.containerSecurityContext },
              volumeMounts: [{ name: TMP_VOLUME.name, mountPath: '/tmp' }],
            },
          ],
        },
      },
    },
  };
}
