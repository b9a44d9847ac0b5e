import { OPS_PORT_NAME, type ResolvedSpec } from '../api/defaults';
import type { Seckill } from '../api/seckill-types';
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

/** A Grafana dashboard in a ConfigMap, labelled for the Grafana sidecar that loads dashboards from ConfigMaps. */
export function desiredDashboard(seckill: Seckill): ChildObject {
  const instance = seckill.metadata.name;
  const panel = (id: number, title: string, expr: string, legend: string) => ({
    id,
    title,
    type: 'timeseries',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x: ((id - 1) % 2) * 12, y: Math.floor((id - 1) / 2) * 8 },
    targets: [{ expr, legendFormat: legend, refId: 'A' }],
  });
  const selector = `namespace="${seckill.metadata.namespace}", service=~"${instance}-.*"`;
  const dashboard = {
    title: `CouponKill ${instance}`,
    uid: `couponkill-${instance}`.slice(0, 40),
    schemaVersion: 39,
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }],
    },
    panels: [
      panel(
        1,
        'Projection lag (events)',
        `max by (projection) (projection_lag_events{${selector}})`,
        '{{projection}}',
      ),
      panel(
        2,
        'Reservations settled / s',
        `sum(rate(seckill_reservations_settled_total{${selector}}[1m]))`,
        'settled',
      ),
      panel(
        3,
        'CPU (cores)',
        `sum by (service) (rate(process_cpu_seconds_total{${selector}}[1m]))`,
        '{{service}}',
      ),
      panel(
        4,
        'Resident memory',
        `sum by (service) (process_resident_memory_bytes{${selector}})`,
        '{{service}}',
      ),
    ],
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(seckill, `${instance}-grafana-dashboard`, { grafana_dashboard: '1' }),
    data: { [`couponkill-${instance}.json`]: JSON.stringify(dashboard, null, 2) },
  };
}
