import { OPS_PORT_NAME } from '../api/defaults';
import type { Seckill } from '../api/seckill-types';
import overview from '../dashboards/couponkill-overview.json';
import type { ChildObject } from './kube-object';
import { childMetadata, MANAGED_BY_LABEL, FIELD_MANAGER } from './labels';

/**
 * One ServiceMonitor for every Service of the Seckill. Every Service names its ops port `ops`, so one endpoint
 * covers all roles, and the API ports (which serve no /metrics) are never scraped.
 */
export function desiredServiceMonitor(seckill: Seckill): ChildObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: childMetadata(seckill, `${seckill.metadata.name}-couponkill`),
    spec: {
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
