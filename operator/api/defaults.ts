import type {
  EnvFromSource,
  EnvVar,
  MiddlewareSpec,
  IntOrPercent,
  PodSpec,
  Quantities,
  SeckillSpec,
  ServiceName,
  ServicePort,
} from './seckill-types';

/** A public API listener: the variable that sets its port, and the port the process uses without it. */
export interface ApiListener {
  portEnv: string;
  defaultPort: number;
}

/**
 * The role each service runs (`couponkill <command>`) and its public API listener, if it has one. Relay and projector
 * serve nothing public: their only listener is the ops listener every role has.
 */
export const ROLES: Record<ServiceName, { command: string; slug: string; api: ApiListener | undefined }> = {
  writeApi: {
    command: 'write-api',
    slug: 'write-api',
    api: { portEnv: 'COUPONKILL_WRITE_API_PORT', defaultPort: 8080 },
  },
  readApi: {
    command: 'read-api',
    slug: 'read-api',
    api: { portEnv: 'COUPONKILL_READ_API_PORT', defaultPort: 8081 },
  },
  relay: { command: 'relay', slug: 'relay', api: undefined },
  projector: { command: 'projector', slug: 'projector', api: undefined },
};

/**
 * The ops listener's port in every pod (the CRD's `opsPort` default). One value for all roles: pods never share a
 * network namespace, and one number keeps probes, scrapes and the KEDA URL easy to read.
 */
export const DEFAULT_OPS_PORT = 9090;

/** The name of the ops port on containers and Services: the probes, the ServiceMonitor and the docs refer to it. */
export const OPS_PORT_NAME = 'ops';

export interface ResolvedService {
  enabled: boolean;
  image: string;
  replicas: number;
  resources: { requests?: Quantities; limits?: Quantities };
  ports: Required<ServicePort>[];
  opsPort: number;
  env: EnvVar[];
  envFrom: EnvFromSource[];
  startupTimeoutSeconds: number;
  preStopSleepSeconds: number;
  drainSeconds: number;
  terminationGracePeriodSeconds: number;
  /** Undefined when disabled; otherwise exactly one bound. */
  podDisruptionBudget: { minAvailable: IntOrPercent } | { maxUnavailable: IntOrPercent } | undefined;
  /** The spec's pod settings with this role's merged over them. */
  pod: PodSpec;
}

/**
 * Per-role lifecycle defaults (seconds). The write-api's startup budget covers waiting for its stores (30 s) and the
 * gate rebuild it runs before it listens (README "Deploying" sizes it); the APIs sleep and drain on shutdown so
 * endpoints stop routing to them before their listeners close; relay and projector serve no traffic to drain.
 */
export const LIFECYCLE_DEFAULTS: Record<
  ServiceName,
  { startupTimeoutSeconds: number; preStopSleepSeconds: number; drainSeconds: number }
> = {
  writeApi: { startupTimeoutSeconds: 600, preStopSleepSeconds: 5, drainSeconds: 2 },
  readApi: { startupTimeoutSeconds: 300, preStopSleepSeconds: 5, drainSeconds: 2 },
  relay: { startupTimeoutSeconds: 300, preStopSleepSeconds: 0, drainSeconds: 0 },
  projector: { startupTimeoutSeconds: 300, preStopSleepSeconds: 0, drainSeconds: 0 },
};

/**
 * The grace period that fits a shutdown: the preStop sleep, the drain, in-flight requests (the listener's 5 s) and
 * closing the stores (15 s), and never under Kubernetes' own default of 30 s.
 */
export const gracePeriodFor = (preStopSleepSeconds: number, drainSeconds: number): number =>
  Math.max(30, preStopSleepSeconds + drainSeconds + 20);

const MAP_KEYS = ['labels', 'annotations', 'nodeSelector'] as const;

/** A role's pod settings over the spec's: label, annotation and node-selector maps key by key, the rest replaced. */
export function mergePod(base: PodSpec = {}, role: PodSpec = {}): PodSpec {
  const merged: PodSpec = { ...base, ...role };
  for (const key of MAP_KEYS) {
    if (base[key] || role[key]) merged[key] = { ...base[key], ...role[key] };
  }
  return merged;
}

/** The CRD's default partition count, which the app's COUPONKILL_PROJECTION_PARTITIONS default matches. */
export const DEFAULT_PARTITIONS = 16;

export interface ResolvedSpec {
  /** Partitions of each projection's stream. */
  partitions: number;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  services: Record<ServiceName, ResolvedService>;
  listenBacklog: number | undefined;
  jwtSecretRef: { name: string; key: string } | undefined;
  middleware: MiddlewareSpec;
  hpa: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  keda: {
    enabled: boolean;
    minReplicaCount: number;
    maxReplicaCount: number;
    lagThreshold: number;
    activationLagThreshold: number;
    pollingInterval: number;
    cooldownPeriod: number;
    lagUrl: string | undefined;
  };
  monitoring: { prometheus: boolean; grafana: boolean; serviceMonitorLabels: Record<string, string> };
}

/** The CRD schema's defaults (config/crd), applied in code too so objects stored before a default existed work. */
export function withDefaults(spec: SeckillSpec): ResolvedSpec {
  const service = (name: ServiceName): ResolvedService => {
    const s = spec.services?.[name] ?? {};
    const api = ROLES[name].api;
    // An API always has a listener, so an empty list there still means its default port.
    const ports = s.ports?.length ? s.ports : api ? [{ name: 'http', port: api.defaultPort }] : [];
    const lifecycle = LIFECYCLE_DEFAULTS[name];
    const preStopSleepSeconds = s.preStopSleepSeconds ?? lifecycle.preStopSleepSeconds;
    const drainSeconds = s.drainSeconds ?? lifecycle.drainSeconds;
    const pdb = s.podDisruptionBudget;
    return {
      enabled: s.enabled ?? true,
      image: s.image ?? spec.image,
      replicas: s.replicas ?? 1,
      resources: s.resources ?? {},
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: p.protocol ?? 'TCP',
      })),
      opsPort: s.opsPort ?? DEFAULT_OPS_PORT,
      env: s.env ?? [],
      envFrom: s.envFrom ?? [],
      startupTimeoutSeconds: s.startupTimeoutSeconds ?? lifecycle.startupTimeoutSeconds,
      preStopSleepSeconds,
      drainSeconds,
      terminationGracePeriodSeconds:
        s.terminationGracePeriodSeconds ?? gracePeriodFor(preStopSleepSeconds, drainSeconds),
      podDisruptionBudget: !pdb?.enabled
        ? undefined
        : pdb.minAvailable !== undefined
          ? { minAvailable: pdb.minAvailable }
          : { maxUnavailable: pdb.maxUnavailable ?? 1 },
      pod: mergePod(spec.pod, s.pod),
    };
  };
  const hpa = spec.scaling?.hpa ?? {};
  const keda = spec.scaling?.keda ?? {};
  const monitoring = spec.monitoring ?? {};
  const monitoringOn = monitoring.enabled ?? true;
  const partitions = spec.projections?.partitions ?? DEFAULT_PARTITIONS;
  return {
    partitions,
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    services: {
      writeApi: service('writeApi'),
      readApi: service('readApi'),
      relay: service('relay'),
      projector: service('projector'),
    },
    listenBacklog: spec.listenBacklog,
    jwtSecretRef: spec.auth?.jwtSecretRef,
    middleware: spec.middleware ?? {},
    hpa: {
      enabled: hpa.enabled ?? false,
      minReplicas: hpa.minReplicas ?? 2,
      maxReplicas: hpa.maxReplicas ?? 10,
      targetCPUUtilizationPercentage: hpa.targetCPUUtilizationPercentage ?? 70,
    },
    keda: {
      enabled: keda.enabled ?? false,
      minReplicaCount: keda.minReplicaCount ?? 0,
      // As many replicas as there are partitions to share; more would own nothing (the CRD refuses them).
      maxReplicaCount: keda.maxReplicaCount ?? partitions,
      lagThreshold: keda.lagThreshold ?? 1000,
      activationLagThreshold: keda.activationLagThreshold ?? 0,
      pollingInterval: keda.pollingInterval ?? 30,
      cooldownPeriod: keda.cooldownPeriod ?? 300,
      lagUrl: keda.lagUrl,
    },
    monitoring: {
      prometheus: monitoringOn && (monitoring.prometheusEnabled ?? false),
      grafana: monitoringOn && (monitoring.grafanaEnabled ?? false),
      serviceMonitorLabels: monitoring.serviceMonitorLabels ?? {},
    },
  };
}
