import type { ResolvedSpec } from '../api/defaults';
import type { Seckill, ServiceName } from '../api/seckill-types';
import type { ChildObject } from './kube-object';
import { selectorLabels, serviceMetadata } from './labels';

/**
 * A role's PodDisruptionBudget (policy/v1): voluntary evictions (node drains, cluster upgrades) leave the role at most
 * `maxUnavailable` pods short, or at least `minAvailable` up. Only called for a role whose budget is enabled. A budget
 * a role can never meet (one relay and `minAvailable: 1`) blocks drains for good, so the CRD defaults to
 * `maxUnavailable: 1` and the README says so. Source: https://kubernetes.io/docs/tasks/run-application/configure-pdb/
 */
export function desiredPodDisruptionBudget(
  seckill: Seckill,
  spec: ResolvedSpec,
  service: ServiceName,
): ChildObject {
  const budget = spec.services[service].podDisruptionBudget;
  if (!budget) throw new Error(`no PodDisruptionBudget is enabled for ${service}`);
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: serviceMetadata(seckill, service),
    spec: { ...budget, selector: { matchLabels: selectorLabels(seckill, service) } },
  };
}
