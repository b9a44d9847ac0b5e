import { withDefaults } from '../api/defaults';
import {
  SERVICE_NAMES,
  type Phase,
  type Seckill,
  type SeckillStatus,
  type ServiceName,
  type ServiceStatus,
} from '../api/seckill-types';
import { setCondition } from './conditions';

/** What the controller saw of one service's Deployment (the fields of apps/v1 DeploymentStatus it needs). */
export interface ObservedDeployment {
  generation: number;
  replicas: number;
  observedGeneration?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
}

export interface Observations {
  deployments: Partial<Record<ServiceName, ObservedDeployment>>;
  /** Projection lag read from the read API; undefined when unknown (not reachable, read API disabled). */
  lag: number | undefined;
  /** Why this reconcile failed, if it did (the apply error). */
  error: string | undefined;
  /** Features asked for that the server cannot hold. */
  unsupported: string[];
}

function serviceStatus(enabled: boolean, deployment: ObservedDeployment | undefined): ServiceStatus {
  if (!enabled) return { enabled: false, readyReplicas: 0, totalReplicas: 0, phase: 'Disabled' };
  if (!deployment) return { enabled: true, readyReplicas: 0, totalReplicas: 0, phase: 'Pending' };
  const ready = deployment.readyReplicas ?? 0;
  const rolledOut =
    (deployment.observedGeneration ?? 0) >= deployment.generation &&
    (deployment.updatedReplicas ?? 0) >= deployment.replicas &&
    ready >= deployment.replicas;
  return {
    enabled: true,
    readyReplicas: ready,
    totalReplicas: deployment.replicas,
    phase: rolledOut ? 'Ready' : 'Progressing',
  };
}

/** The status a Seckill should show, from what the controller observed; a pure function of its inputs. */
export function computeStatus(seckill: Seckill, observed: Observations, now: Date): SeckillStatus {
  const spec = withDefaults(seckill.spec);
  const previous = seckill.status?.conditions ?? [];
  const generation = seckill.metadata.generation;
  const services = Object.fromEntries(
    SERVICE_NAMES.map((s) => [s, serviceStatus(spec.services[s].enabled, observed.deployments[s])]),
  ) as Record<ServiceName, ServiceStatus>;
  const enabled = SERVICE_NAMES.filter((s) => services[s].enabled);
  const notReady = enabled.filter((s) => services[s].phase !== 'Ready');
  const anyDeployed = enabled.some((s) => services[s].phase !== 'Pending');

  const problems = [...(observed.error ? [observed.error] : []), ...observed.unsupported];
  const degraded = problems.length > 0;
  const allReady = notReady.length === 0;
  const phase: Phase = degraded ? 'Degraded' : allReady ? 'Ready' : anyDeployed ? 'Progressing' : 'Pending';

  const conditions = [
    setCondition(
      previous,
      allReady && !degraded
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'AllServicesReady',
            message: 'every enabled service is ready',
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: degraded ? 'Degraded' : 'ServicesNotReady',
            message: degraded ? problems.join('; ') : `not ready: ${notReady.join(', ')}`,
          },
      generation,
      now,
    ),
    setCondition(
      previous,
      allReady
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'RolledOut',
            message: 'every enabled service is rolled out',
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'RollingOut',
            message: `rolling out: ${notReady.join(', ')}`,
          },
      generation,
      now,
    ),
    setCondition(
      previous,
      degraded
        ? {
            type: 'Degraded',
            status: 'True',
            reason: observed.error ? 'ReconcileFailed' : 'MissingCRD',
            message: problems.join('; '),
          }
        : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'children applied' },
      generation,
      now,
    ),
  ];
  return {
    phase,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    readyServices: `${String(enabled.length - notReady.length)}/${String(enabled.length)}`,
    ...(observed.lag !== undefined ? { projectionLag: observed.lag } : {}),
    services,
    conditions,
  };
}

/** Whether writing `next` would change what the server holds (no write, no event, no watch churn otherwise). */
export const statusChanged = (current: SeckillStatus | undefined, next: SeckillStatus): boolean =>
  JSON.stringify(canonical(current ?? {})) !== JSON.stringify(canonical(next));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}
