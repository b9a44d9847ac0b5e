import { ROLES, type ResolvedSpec } from '../api/defaults';
import type { EnvVar, SecretKeyRef, ServiceName } from '../api/seckill-types';

/** A container env entry: the spec's kinds plus the downward API, which only the operator uses. */
export type ContainerEnvVar = EnvVar | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

const plain = (name: string, value: string): EnvVar => ({ name, value });
const fromSecret = (name: string, ref: SecretKeyRef): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});
const endpoint = (name: string, e: { url?: string; urlSecretRef?: SecretKeyRef } | undefined): EnvVar[] => {
  if (e?.urlSecretRef) return [fromSecret(name, e.urlSecretRef)];
  if (e?.url) return [plain(name, e.url)];
  return [];
};

/**
 * Where the process listens. Every listener binds every interface: the ops listener defaults to 127.0.0.1, where
 * neither the kubelet's probes nor Prometheus nor KEDA could reach it. The deprecated COUPONKILL_PROJECTOR_PORT and
 * COUPONKILL_RELAY_PORT are never set: COUPONKILL_OPS_PORT names the same port for those roles.
 */
export function listenerEnv(spec: ResolvedSpec, service: ServiceName): EnvVar[] {
  const s = spec.services[service];
  const api = ROLES[service].api;
  return [
    // The API listens on the first port's target; relay and projector have no API listener to configure.
    ...(api
      ? [
          plain('COUPONKILL_HOST', '0.0.0.0'),
          plain(api.portEnv, String(s.ports[0]?.targetPort ?? api.defaultPort)),
        ]
      : []),
    plain('COUPONKILL_OPS_HOST', '0.0.0.0'),
    plain('COUPONKILL_OPS_PORT', String(s.opsPort)),
    // After SIGTERM (which follows the preStop sleep), readiness answers 503 this long before the listeners close.
    plain('COUPONKILL_SHUTDOWN_DELAY_MS', String(s.drainSeconds * 1000)),
    ...(spec.listenBacklog !== undefined
      ? [plain('COUPONKILL_LISTEN_BACKLOG', String(spec.listenBacklog))]
      : []),
  ];
}

/**
 * The COUPONKILL_* settings (infra/config/config-schema.ts) a role's process needs: its listeners, then the spec's
 * middleware. RocketMQ and Nacos settings are passed for the adapters that read them; secrets only ever as secretKeyRef.
 */
export function middlewareEnv(spec: ResolvedSpec, service: ServiceName): ContainerEnvVar[] {
  const m = spec.middleware;
  const env: ContainerEnvVar[] = [
    ...listenerEnv(spec, service),
    // Pod name: a projector replica's member name in its group starts with it, so logs and lease rows name the pod.
    { name: 'COUPONKILL_CONSUMER_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    // Relay, projectors and replays (a Job on any role's image) must agree on it.
    plain('COUPONKILL_PROJECTION_PARTITIONS', String(spec.partitions)),
    ...endpoint('COUPONKILL_REDIS_URL', m.redis),
    ...(m.redis?.keyPrefix ? [plain('COUPONKILL_REDIS_KEY_PREFIX', m.redis.keyPrefix)] : []),
    ...(m.eventStore?.kind === 'eventstoredb'
      ? [
          plain('COUPONKILL_EVENT_STORE', 'eventstoredb'),
          ...endpoint('COUPONKILL_ESDB_CONNECTION_STRING', m.eventStore),
        ]
      : endpoint('COUPONKILL_EVENT_STORE_URL', m.eventStore)),
    ...endpoint('COUPONKILL_READ_DATABASE_URL', m.mysql?.readDatabase),
    ...(m.mysql?.shards !== undefined ? [plain('COUPONKILL_READ_SHARDS', String(m.mysql.shards))] : []),
    ...(m.mysql?.shardUrlsSecretRef
      ? [fromSecret('COUPONKILL_READ_SHARD_URLS', m.mysql.shardUrlsSecretRef)]
      : []),
    ...(spec.jwtSecretRef ? [fromSecret('COUPONKILL_JWT_SECRET', spec.jwtSecretRef)] : []),
  ];
  if (m.rocketmq) {
    env.push(
      plain('COUPONKILL_BUS', 'rocketmq'),
      plain('COUPONKILL_ROCKETMQ_ENDPOINTS', m.rocketmq.endpoints),
    );
    if (m.rocketmq.namespace) env.push(plain('COUPONKILL_ROCKETMQ_NAMESPACE', m.rocketmq.namespace));
    if (m.rocketmq.accessKeySecretRef)
      env.push(fromSecret('COUPONKILL_ROCKETMQ_ACCESS_KEY', m.rocketmq.accessKeySecretRef));
    if (m.rocketmq.secretKeySecretRef)
      env.push(fromSecret('COUPONKILL_ROCKETMQ_SECRET_KEY', m.rocketmq.secretKeySecretRef));
  }
  if (m.nacos) {
    env.push(plain('COUPONKILL_NACOS_SERVER_ADDR', m.nacos.serverAddr));
    if (m.nacos.namespace) env.push(plain('COUPONKILL_NACOS_NAMESPACE', m.nacos.namespace));
    env.push(plain('COUPONKILL_NACOS_GROUP', m.nacos.group ?? 'DEFAULT_GROUP'));
    if (m.nacos.usernameSecretRef)
      env.push(fromSecret('COUPONKILL_NACOS_USERNAME', m.nacos.usernameSecretRef));
    if (m.nacos.passwordSecretRef)
      env.push(fromSecret('COUPONKILL_NACOS_PASSWORD', m.nacos.passwordSecretRef));
  }
  return env;
}

/** The container's env: the operator's settings, then the user's; a user entry replaces one of the same name. */
export function containerEnv(spec: ResolvedSpec, service: ServiceName): ContainerEnvVar[] {
  const user = spec.services[service].env;
  const overridden = new Set(user.map((e) => e.name));
  return [...middlewareEnv(spec, service).filter((e) => !overridden.has(e.name)), ...user];
}
