import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { RENAMED } from '../infra/metrics/legacy-names';
import { envOf, freePort, startLoggedCliServer, type LoggedServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { ensureBuilt, startOperator, type RunningOperator } from './support/kube-operator';
import { waitFor } from './support/metrics';
import {
  asPromQl,
  dashboardQueries,
  exposedNames,
  metricNamesOf,
  type Dashboard,
  type DashboardQuery,
} from './support/promql';
import { createTestEnv, type TestEnv } from './support/test-env';

/**
 * The monitoring pack against real parts: every metric the dashboards and alerts query is exported by a real
 * all-in-one process (every role, webhook dispatcher included) and a real operator, scraped live; every dashboard
 * query and alert expression parses with promtool (Prometheus' own parser); and `promtool test rules` shows each alert
 * of the rendered PrometheusRule firing on a synthetic series and staying quiet on a healthy one.
 */
const ROOT = resolve(__dirname, '..');
const DASHBOARDS = join(ROOT, 'operator/dashboards');
const CHART = join(ROOT, 'deploy/helm/couponkill');
const dashboard = (file: string) => JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard;
const overview = dashboard('couponkill-overview.json');
const operatorDashboard = dashboard('couponkill-operator.json');

/** promtool and helm from the tools build (scripts/kube-env.sh tools-build), with Helm's private homes. */
const tools = (() => {
  const env: Record<string, string> = {};
  for (const line of execFileSync('bash', [join(ROOT, 'scripts/kube-env.sh'), 'env'], {
    encoding: 'utf8',
  }).split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
  }
  const promtool = env.COUPONKILL_PROMTOOL_BIN ?? '';
  const helm = env.COUPONKILL_HELM_BIN ?? '';
  const missing = [
    ...(existsSync(promtool) ? [] : [`promtool (${promtool || 'COUPONKILL_PROMTOOL_BIN unset'})`]),
    ...(existsSync(helm) ? [] : [`helm (${helm || 'COUPONKILL_HELM_BIN unset'})`]),
  ];
  return { promtool, helm, env, missing };
})();
const unavailable =
  tools.missing.length > 0
    ? `${tools.missing.join(' and ')} not built: run bash scripts/kube-env.sh tools-build`
    : null;
if (unavailable && process.env.CI === 'true')
  throw new Error(`promtool and helm must run in CI, but: ${unavailable}`);
if (unavailable) console.info(`monitoring (promtool, helm): skipped: ${unavailable}`);

const run = (command: string, args: string[], cwd = ROOT) => {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...tools.env },
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
};

/** The chart rendered with its default values, alerts on (as values-prod.yaml has them) with the operator's, as objects. */
const renderChart = (): Record<string, unknown>[] => {
  const { code, output } = run(tools.helm, [
    'template',
    'ck',
    CHART,
    '--namespace',
    'couponkill',
    '--kube-version',
    '1.30.14',
    '--set',
    'operator.serviceMonitor.enabled=true',
    '--set',
    'monitoring.alerts.enabled=true',
  ]);
  if (code !== 0) throw new Error(`helm template failed:\n${output}`);
  return parseAllDocuments(output)
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter((object): object is Record<string, unknown> => object !== null);
};

const kindOf = (objects: Record<string, unknown>[], kind: string) => {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${String(found.length)}`);
  return found[0] as { metadata: { labels: Record<string, string> }; spec: unknown; data: unknown };
};

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: Record<string, string>;
}

describe('dashboards and alerts against a live scrape and promtool', () => {
  let env: TestEnv;
  // Undefined when beforeAll failed before starting them.
  let app: LoggedServer | undefined;
  let operator: RunningOperator | undefined;
  let hook: Server | undefined;
  let work = '';
  let appScrape = '';
  let operatorScrape = '';
  const ports = { write: 0, read: 0, ops: 0 };
  const url = (port: number) => `http://127.0.0.1:${String(port)}`;

  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'ck-monitoring-'));
    env = createTestEnv();
    // A webhook receiver, so the notification dispatcher runs and exports its series too.
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    hook = receiver;
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    const hookPort = (receiver.address() as { port: number }).port;
    ports.write = await freePort();
    ports.read = await freePort();
    ports.ops = await freePort();
    app = await startLoggedCliServer(
      ['all-in-one'],
      envOf(env.config, {
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_WRITE_API_PORT: String(ports.write),
        COUPONKILL_READ_API_PORT: String(ports.read),
        COUPONKILL_OPS_PORT: String(ports.ops),
        COUPONKILL_CONSUMER_NAME: `monitoring-${env.keyPrefix}`,
        COUPONKILL_WEBHOOK_URL: `http://127.0.0.1:${String(hookPort)}/hook`,
        COUPONKILL_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
        COUPONKILL_LOG_LEVEL: 'warn',
      }),
      `${url(ports.ops)}/readyz`,
    );
    // The operator serves /metrics before it reaches any API server: one that never answers is enough here.
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'none', cluster: { server: `https://127.0.0.1:${String(await freePort())}` } }],
        users: [{ name: 'none', user: { token: 'none' } }],
        contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
        'current-context': 'none',
      }),
    );
    operator = await startOperator({
      kubeconfig,
      identity: 'monitoring-test',
      namespace: 'couponkill',
      leaseNamespace: 'couponkill',
      leaseName: 'couponkill-monitoring-test',
    });

    // A few seckills, so that labelled families have samples and every role has worked once.
    const created = await request(url(ports.write), 'POST', '/api/v1/coupons', {
      token: tokenFor('admin', 'admin'),
      body: {
        name: 'Monitoring',
        faceValueCents: 100,
        totalStock: 2,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    const couponId = String(created.body.couponId);
    const answers = await Promise.all(
      [1, 2, 3].map((i) =>
        request(url(ports.write), 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(`watcher-${i}`) }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409]);
    const scrape = async () => (await fetch(`${url(ports.ops)}/metrics`)).text();
    await waitFor(
      'the read models and the relay to catch up, and a reservation sweep to succeed',
      async () => {
        appScrape = await scrape();
        return (
          /^couponkill_relay_lag_events\{[^}]*\} 0$/m.test(appScrape) &&
          !/^couponkill_projection_lag_events\{[^}]*\} [1-9]/m.test(appScrape) &&
          /^couponkill_projection_lag_events\{/m.test(appScrape) &&
          /^couponkill_reservation_sweep_last_success_timestamp_seconds\{[^}]*\} [1-9]/m.test(appScrape)
        );
      },
      60_000,
    );
    operatorScrape = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
  });

  afterAll(async () => {
    await operator?.stop();
    await app?.stop();
    await new Promise((done) => (hook ? hook.close(done) : done(undefined)));
    await env.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The names a query selects that no scrape exports, as `where: name` lines. */
  const missingNames = (queries: readonly DashboardQuery[], scrape: string): string[] => {
    const names = exposedNames(scrape);
    return queries.flatMap(({ where, expr }) =>
      metricNamesOf(expr)
        .filter((name) => !names.has(name))
        .map((name) => `${where}: ${name}`),
    );
  };

  it("every metric of the overview dashboard's panels and variables is in a live scrape of the processes", () => {
    const queries = dashboardQueries(overview);
    expect(queries.length).toBeGreaterThan(20);
    expect(missingNames(queries, appScrape)).toEqual([]);
  });

  it("every metric of the operator dashboard is in a live scrape of the operator's /metrics", () => {
    expect(missingNames(dashboardQueries(operatorDashboard), operatorScrape)).toEqual([]);
  });

  it('exports the new series with live values, and the 0.1 name of every renamed family beside it', () => {
    const head = (name: string) => new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(appScrape)?.[1];
    expect(Number(head('couponkill_relay_lag_events'))).toBe(0);
    expect(
      Date.now() / 1000 - Number(head('couponkill_reservation_sweep_last_success_timestamp_seconds')),
    ).toBeLessThan(30);
    expect(appScrape).toMatch(/^couponkill_reservation_sweeps_total\{result="ok",role="all-in-one"\} [1-9]/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(appScrape).toContain(
      `couponkill_build_info{version="${pkg.version}",node="${process.version}",role="all-in-one"} 1`,
    );
    expect(appScrape).toMatch(/^couponkill_seckill_outcomes_total\{code="PLACED",role="all-in-one"\} 2$/m);
    // COUPONKILL_METRICS_LEGACY_NAMES is on by default in 0.2: every renamed family is served under both names.
    const names = exposedNames(appScrape);
    const renamedHere = [...RENAMED].filter(([name]) => names.has(name));
    expect(renamedHere.length).toBeGreaterThan(20);
    expect(renamedHere.filter(([, old]) => !names.has(old)).map(([, old]) => old)).toEqual([]);
  });

  it('every dashboard is well formed: unique panel ids, a grid position, targets with a refId, defined variables', () => {
    for (const board of [overview, operatorDashboard]) {
      expect(board.uid.length).toBeLessThanOrEqual(40);
      expect(board.schemaVersion).toBeGreaterThanOrEqual(36);
      const ids = board.panels.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      const variables = new Set(board.templating.list.map((variable) => variable.name));
      for (const panel of board.panels) {
        expect(['timeseries', 'stat', 'table', 'state-timeline']).toContain(panel.type);
        expect(panel.gridPos.w).toBeGreaterThan(0);
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        expect(panel.targets.length).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.refId).toMatch(/^[A-Z]$/);
          const used = [...target.expr.matchAll(/\$\{?(\w+)/g)].map((m) => m[1] ?? '');
          expect(used.filter((name) => !name.startsWith('__') && !variables.has(name))).toEqual([]);
        }
      }
    }
  });

  const describeTools = unavailable ? describe.skip : describe;
  describeTools('with promtool and helm', () => {
    const promtool = (args: string[], cwd?: string) => run(tools.promtool, args, cwd);

    it('promtool parses every dashboard query (each wrapped as a recording rule)', () => {
      const queries = [...dashboardQueries(overview), ...dashboardQueries(operatorDashboard)];
      const file = join(work, 'dashboards.rules.yaml');
      writeFileSync(
        file,
        stringify({
          groups: [
            {
              name: 'dashboards',
              rules: queries.map((query, i) => ({
                record: `dashboard:query_${String(i)}`,
                expr: asPromQl(query.expr),
              })),
            },
          ],
        }),
      );
      const { code, output } = promtool(['check', 'rules', file]);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain(`SUCCESS: ${String(queries.length)} rules found`);
    });

    it('the chart ships the dashboards of operator/dashboards in one ConfigMap with the sidecar label', () => {
      const configMap = kindOf(
        renderChart().filter(
          (object) => object.kind === 'ConfigMap' && nameOf(object) === 'ck-couponkill-dashboards',
        ),
        'ConfigMap',
      );
      expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
      const files = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));
      expect(Object.keys(configMap.data as object).sort()).toEqual(files.sort());
      for (const file of files)
        expect((configMap.data as Record<string, string>)[file]).toBe(
          readFileSync(join(DASHBOARDS, file), 'utf8'),
        );
    });

    describe('the rendered PrometheusRule', () => {
      let rules: AlertRule[];
      let rulesDir: string;

      beforeAll(() => {
        const rule = kindOf(renderChart(), 'PrometheusRule');
        expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
        const spec = rule.spec as { groups: { rules: AlertRule[] }[] };
        rules = spec.groups.flatMap((group) => group.rules);
        // promtool test rules reads the rules from beside the test file (its rule_files).
        rulesDir = mkdtempSync(join(work, 'rules-'));
        writeFileSync(join(rulesDir, 'couponkill-alerts.rules.yaml'), stringify(spec));
        writeFileSync(
          join(rulesDir, 'alerts.test.yaml'),
          readFileSync(join(ROOT, 'deploy/prometheus/alerts.test.yaml'), 'utf8'),
        );
      });

      it('passes promtool check rules', () => {
        const { code, output } = promtool(['check', 'rules', join(rulesDir, 'couponkill-alerts.rules.yaml')]);
        expect({ code, output }).toMatchObject({ code: 0 });
        expect(output).toContain(`SUCCESS: ${String(rules.length)} rules found`);
      });

      it('each alert has a summary, a description and a runbook that deploy/RUNBOOKS.md has a heading for', () => {
        const headings = new Set(
          [...readFileSync(join(ROOT, 'deploy/RUNBOOKS.md'), 'utf8').matchAll(/^## (\S+)$/gm)].map((m) =>
            (m[1] ?? '').toLowerCase(),
          ),
        );
        for (const { alert, annotations } of rules) {
          expect([alert, annotations.summary?.length ?? 0]).not.toEqual([alert, 0]);
          expect([alert, annotations.description?.length ?? 0]).not.toEqual([alert, 0]);
          expect(annotations.runbook_url).toBe(`deploy/RUNBOOKS.md#${alert.toLowerCase()}`);
          expect([alert, headings.has(alert.toLowerCase())]).toEqual([alert, true]);
        }
      });

      it('every metric an alert queries is in a live scrape of the processes or the operator', () => {
        const queries = rules.map(({ alert, expr }) => ({ where: alert, expr }));
        expect(missingNames(queries, `${appScrape}\n${operatorScrape}`)).toEqual([]);
      });

      it('promtool test rules: each alert fires on its synthetic series and stays quiet on a healthy one', () => {
        const tests = parse(readFileSync(join(rulesDir, 'alerts.test.yaml'), 'utf8')) as {
          tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
        };
        const cases = tests.tests.flatMap((test) => test.alert_rule_test);
        for (const { alert } of rules) {
          expect([alert, cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0)]).toEqual([
            alert,
            true,
          ]);
          expect([alert, cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0)]).toEqual([
            alert,
            true,
          ]);
        }
        const { code, output } = promtool(['test', 'rules', 'alerts.test.yaml'], rulesDir);
        expect({ code, output }).toMatchObject({ code: 0 });
        expect(output).toContain('SUCCESS');
      });
    });
  });
});

const nameOf = (object: Record<string, unknown>): string =>
  (object.metadata as { name?: string } | undefined)?.name ?? '';
