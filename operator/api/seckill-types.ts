/**
 * The Seckill custom resource (ops.couponkill.io/v1) as the controller reads it. Every spec field is optional here
 * because objects stored before a default existed may lack it; `withDefaults` fills what the CRD schema defaults.
 */
export const SECKILL_GROUP = 'ops.couponkill.io';
export const SECKILL_VERSION = 'v1';
export const SECKILL_API_VERSION = `${SECKILL_GROUP}/${SECKILL_VERSION}`;
export const SECKILL_KIND = 'Seckill';
export const SECKILL_PLURAL = 'seckills';

/** The app image's roles the operator runs; each is a `couponkill <role>` process. */
export const SERVICE_NAMES = ['writeApi', 'readApi', 'relay', 'projector'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export interface NameRef {
  name: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: NameRef;
  secretRef?: NameRef;
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort?: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export type Quantities = Record<string, string | number>;

export interface ServiceSpec {
  enabled?: boolean;
  image?: string;
  replicas?: number;
  resources?: { requests?: Quantities; limits?: Quantities };
  /** The public API port(s); the first is the API's listener. Relay and projector have none by default. */
  ports?: ServicePort[];
  /** The ops listener's port (/healthz, /readyz, /metrics, lag JSON): probes, scrapes and KEDA use it. */
  opsPort?: number;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  /** Seconds the process may take to start (the startupProbe's budget); the write-api rebuilds the gate first. */
  startupTimeoutSeconds?: number;
  /** Seconds of preStop sleep before SIGTERM, while endpoints stop routing to the pod. */
  preStopSleepSeconds?: number;
  /** Seconds /readyz answers 503 after SIGTERM while the listeners keep serving (COUPONKILL_SHUTDOWN_DELAY_MS). */
  drainSeconds?: number;
  terminationGracePeriodSeconds?: number;
  podDisruptionBudget?: PodDisruptionBudgetSpec;
  /** Merged over the spec's `pod` (maps key by key, other fields replaced). */
  pod?: PodSpec;
}

/** A count or a percentage string such as "50%" (Kubernetes' IntOrString). */
export type IntOrPercent = number | string;

/** A policy/v1 PodDisruptionBudget for one role; at most one of the two bounds (default maxUnavailable 1). */
export interface PodDisruptionBudgetSpec {
  enabled?: boolean;
  minAvailable?: IntOrPercent;
  maxUnavailable?: IntOrPercent;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface Endpoint {
  url?: string;
  urlSecretRef?: SecretKeyRef;
}

export interface MiddlewareSpec {
  redis?: Endpoint & { keyPrefix?: string };
  /** `kind: eventstoredb` takes an `esdb://` connection string; `mysql` (default) the embedded store's URL. */
  eventStore?: Endpoint & { kind?: 'mysql' | 'eventstoredb' };
  mysql?: { readDatabase?: Endpoint; shards?: number; shardUrlsSecretRef?: SecretKeyRef };
  rocketmq?: {
    endpoints: string;
    namespace?: string;
    accessKeySecretRef?: SecretKeyRef;
    secretKeySecretRef?: SecretKeyRef;
  };
  nacos?: {
    serverAddr: string;
    namespace?: string;
    group?: string;
    usernameSecretRef?: SecretKeyRef;
    passwordSecretRef?: SecretKeyRef;
  };
}

export interface HpaSpec {
  enabled?: boolean;
  minReplicas?: number;
  maxReplicas?: number;
  targetCPUUtilizationPercentage?: number;
}

export interface KedaSpec {
  enabled?: boolean;
  minReplicaCount?: number;
  maxReplicaCount?: number;
  lagThreshold?: number;
  activationLagThreshold?: number;
  pollingInterval?: number;
  cooldownPeriod?: number;
  lagUrl?: string;
}

export interface MonitoringSpec {
  enabled?: boolean;
  prometheusEnabled?: boolean;
  grafanaEnabled?: boolean;
  /** Labels on the ServiceMonitor, e.g. `release: kube-prometheus-stack` (what that chart's Prometheus selects by). */
  serviceMonitorLabels?: Record<string, string>;
}

/** A namespaced kernel parameter set per pod (Kubernetes' `securityContext.sysctls` entry). */
export interface Sysctl {
  name: string;
  value: string;
}

/** A core/v1 Toleration. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** `none`, or a podAntiAffinity on the role's own pods per node, preferred or required. */
export type AntiAffinity = 'none' | 'preferred' | 'required';

/**
 * Pod settings (spec-wide, or per role over the spec-wide ones). `affinity`, `topologySpreadConstraints` and the two
 * security contexts are core/v1 shapes passed through; the API server validates them when the operator applies.
 */
export interface PodSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Record<string, unknown>;
  antiAffinity?: AntiAffinity;
  topologySpreadConstraints?: Record<string, unknown>[];
  priorityClassName?: string;
  imagePullSecrets?: { name: string }[];
  securityContext?: Record<string, unknown>;
  containerSecurityContext?: Record<string, unknown>;
  sysctls?: Sysctl[];
}

/** How the read models are fed. */
export interface ProjectionsSpec {
  /** Partitions of each projection's stream (COUPONKILL_PROJECTION_PARTITIONS): the most projector replicas useful. */
  partitions?: number;
}

export interface SeckillSpec {
  image: string;
  projections?: ProjectionsSpec;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  services?: Partial<Record<ServiceName, ServiceSpec>>;
  pod?: PodSpec;
  /** listen(2) backlog of every listener (COUPONKILL_LISTEN_BACKLOG); the kernel caps it at net.core.somaxconn. */
  listenBacklog?: number;
  auth?: { jwtSecretRef?: SecretKeyRef };
  middleware?: MiddlewareSpec;
  scaling?: { hpa?: HpaSpec; keda?: KedaSpec };
  monitoring?: MonitoringSpec;
}

export type Phase = 'Pending' | 'Progressing' | 'Ready' | 'Degraded';
export type ServicePhase = 'Disabled' | 'Pending' | 'Progressing' | 'Ready';
export type ConditionType = 'Ready' | 'Progressing' | 'Degraded';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ServiceStatus {
  enabled: boolean;
  readyReplicas: number;
  totalReplicas: number;
  phase: ServicePhase;
}

export interface SeckillStatus {
  phase?: Phase;
  observedGeneration?: number;
  readyServices?: string;
  projectionLag?: number;
  services?: Partial<Record<ServiceName, ServiceStatus>>;
  conditions?: Condition[];
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: string | Date;
}

export interface Seckill {
  apiVersion: typeof SECKILL_API_VERSION;
  kind: typeof SECKILL_KIND;
  metadata: ObjectMeta;
  spec: SeckillSpec;
  status?: SeckillStatus;
}
