import type {
  EnvFromSource,
  EnvVar,
  MiddlewareSpec,
  Quantities,
  SeckillSpec,
  ServiceName,
  ServicePort,
} from './seckill-types';

/** The role each service runs (`couponkill <command>`) and the port its process serves HTTP and /metrics on. */
export const ROLES: Record<
  ServiceName,
  { command: string; portEnv: string; defaultPort: number; slug: string }
> = {
  writeApi: {
    command: 'write-api',
    portEnv: 'COUPONKILL_WRITE_API_PORT',
    defaultPort: 8080,
    slug: 'write-api',
  },
  readApi: { command: 'read-api', portEnv: 'COUPONKILL_READ_API_PORT', defaultPort: 8081, slug: 'read-api' },
  relay: { command: 'relay', portEnv: 'COUPONKILL_RELAY_PORT', defaultPort: 8083, slug: 'relay' },
  projector: {
    command: 'projector',
    portEnv: 'COUPONKILL_PROJECTOR_PORT',
    defaultPort: 8082,
    slug: 'projector',
  },
};

export interface ResolvedService {
  enabled: boolean;
  image: string;
  replicas: number;
  resources: { requests?: Quantities; limits?: Quantities };
  ports: Required<ServicePort>[];
  env: EnvVar[];
  envFrom: EnvFromSource[];
}

export interface ResolvedSpec {
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  services: Record<ServiceName, ResolvedService>;
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
  monitoring: { prometheus: boolean; grafana: boolean };
}

/** The CRD schema's defaults (config/crd), applied in code too so objects stored before a default existed work. */
export function withDefaults(spec: SeckillSpec): ResolvedSpec {
  const service = (name: ServiceName): ResolvedService => {
    const s = spec.services?.[name] ?? {};
    const ports = s.ports?.length ? s.ports : [{ name: 'http', port: ROLES[name].defaultPort }];
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
      env: s.env ?? [],
      envFrom: s.envFrom ?? [],
    };
  };
  const hpa = spec.scaling?.hpa ?? {};
  const keda = spec.scaling?.keda ?? {};
  const monitoring = spec.monitoring ?? {};
  const monitoringOn = monitoring.enabled ?? true;
  return {
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    services: {
      writeApi: service('writeApi'),
      readApi: service('readApi'),
      relay: service('relay'),
      projector: service('projector'),
    },
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
      maxReplicaCount: keda.maxReplicaCount ?? 1,
      lagThreshold: keda.lagThreshold ?? 1000,
      activationLagThreshold: keda.activationLagThreshold ?? 0,
      pollingInterval: keda.pollingInterval ?? 30,
      cooldownPeriod: keda.cooldownPeriod ?? 300,
      lagUrl: keda.lagUrl,
    },
    monitoring: {
      prometheus: monitoringOn && (monitoring.prometheusEnabled ?? false),
      grafana: monitoringOn && (monitoring.grafanaEnabled ?? false),
    },
  };
}
