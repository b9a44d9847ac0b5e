import { withDefaults } from '../api/defaults';
import { SERVICE_NAMES, type Seckill } from '../api/seckill-types';
import { desiredDeployment } from './deployment';
import { desiredHpa, HPA_SERVICES, type HpaApiVersion } from './hpa';
import type { ChildObject } from './kube-object';
import { desiredDashboard, desiredServiceMonitor } from './monitoring';
import { desiredPodDisruptionBudget } from './pdb';
import { desiredScaledObject } from './scaled-object';
import { desiredService } from './service';

/** What the server can hold: found by discovery, so a missing CRD is reported instead of failing every apply. */
export interface Capabilities {
  hpaApiVersion: HpaApiVersion;
  keda: boolean;
  serviceMonitor: boolean;
}

export interface DesiredState {
  /** Objects to apply, in this order (Deployments before the autoscalers that target them). */
  objects: ChildObject[];
  /** Features the spec asks for that the server cannot hold (their CRD is missing). */
  unsupported: string[];
}

/** Everything a Seckill should own, as a pure function of its spec and the server's capabilities. */
export function desiredState(seckill: Seckill, capabilities: Capabilities): DesiredState {
  const spec = withDefaults(seckill.spec);
  const objects: ChildObject[] = [];
  const unsupported: string[] = [];
  for (const service of SERVICE_NAMES) {
    if (!spec.services[service].enabled) continue;
    objects.push(desiredDeployment(seckill, spec, service), desiredService(seckill, spec, service));
    if (spec.services[service].podDisruptionBudget)
      objects.push(desiredPodDisruptionBudget(seckill, spec, service));
  }
  if (spec.hpa.enabled) {
    for (const service of HPA_SERVICES) {
      if (spec.services[service].enabled)
        objects.push(desiredHpa(seckill, spec, service, capabilities.hpaApiVersion));
    }
  }
  if (spec.keda.enabled && spec.services.projector.enabled) {
    if (capabilities.keda) objects.push(desiredScaledObject(seckill, spec));
    else unsupported.push('scaling.keda (the KEDA ScaledObject CRD is not installed)');
  }
  if (spec.monitoring.prometheus) {
    if (capabilities.serviceMonitor) objects.push(desiredServiceMonitor(seckill, spec));
    else unsupported.push('monitoring.prometheusEnabled (the ServiceMonitor CRD is not installed)');
  }
  if (spec.monitoring.grafana) objects.push(desiredDashboard(seckill));
  return { objects, unsupported };
}
