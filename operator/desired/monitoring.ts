import { OPS_PORT_NAME, type ResolvedSpec } from '../api/defaults';
import type { Seckill } from '../api/seckill-types';
import overview from '../dashboards/couponkill-overview.json';
import type { ChildObject } from './kube-object';
import { childMetadata, MANAGED_BY_LABEL, FIELD_MANAGER, withLabelsUnder } from './labels';

/**
 * One ServiceMonitor for every Service of the Seckill. Every Service names its ops port `ops`, so one endpoint
 * covers all roles, and the API ports (which serve no /metrics) are never scraped. The spec's labels go on it (a
 * Prometheus Operator install selects ServiceMonitors by label: kube-prometheus-stack by `release`), and the pods'
 * instance and component labels go on every series, so dashboards and the canary gate tell a stable Seckill from its
 * canary.
 */
export function desiredServiceMonitor(seckill: Seckill, spec: ResolvedSpec): ChildObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: withLabelsUnder(
      childMetadata(seckill, `${seckill.metadata.name}-couponkill`),
      spec.monitoring.serviceMonitorLabels,
    ),
    spec: {
      podTargetLabels: ['app.kubernetes.io/instance', 'app.kubernetes.io/component'],
      selector: {
        matchLabels: {
          'app.kubernetes.io/instance': seckill.metadata.name,
          [MANAGED_BY_LABEL]: FIELD_MANAGER,
        },
      },
      endpoints: [{ port: OPS_PORT_NAME, path: '/metrics', interval: '30s' }],
    },
  };
}

/**
 * The overview dashboard (operator/dashboards/couponkill-overview.json, the same file the Helm chart ships) in a
 * ConfigMap labelled for the Grafana sidecar that loads dashboards from ConfigMaps. Its own uid and title per Seckill,
 * and its `namespace` and `seckill` variables open on this Seckill's.
 */
export function desiredDashboard(seckill: Seckill): ChildObject {
  const instance = seckill.metadata.name;
  const namespace = seckill.metadata.namespace;
  const opening: Readonly<Record<string, { text: string | string[]; value: string | string[] }>> = {
    namespace: { text: namespace, value: namespace },
    seckill: { text: [instance], value: [instance] },
  };
  const dashboard = {
    ...overview,
    uid: `couponkill-${instance}`.slice(0, 40),
    title: `CouponKill ${instance}`,
    templating: {
      list: overview.templating.list.map((variable) => {
        const current = opening[variable.name];
        return current === undefined ? variable : { ...variable, current };
      }),
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(seckill, `${instance}-grafana-dashboard`, { grafana_dashboard: '1' }),
    data: { [`couponkill-${instance}.json`]: JSON.stringify(dashboard, null, 2) },
  };
}
