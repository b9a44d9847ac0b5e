import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART, helmFor, KUBE_VERSION, type Helm, type KubeObject } from './support/helm';
import {
  CHART_INSTANCE,
  eventually,
  kubectl,
  kubectlJson,
  scriptEnv,
  startKubeEnv,
  type KubeEnv,
} from './support/kube-env';
import { ensureBuilt, startOperator, type RunningOperator } from './support/kube-operator';

/**
 * The Helm chart against real parts: Helm 3.22 (lint, template, install, upgrade) and a kube-apiserver 1.30 of this
 * file's own (CHART_INSTANCE) with the Seckill, KEDA, Prometheus Operator and Istio CRDs installed, plus the operator
 * reconciling what the chart installed. No pods run there (no kubelet), so Helm never gets --wait.
 */
const ROOT = resolve(__dirname, '..');
const suffix = randomBytes(3).toString('hex');
const PROD = ['-f', resolve(CHART, 'values-prod.yaml')];
const CANARY = ['-f', resolve(CHART, 'values-canary.yaml')];
const VALUE_SETS: Record<string, string[]> = {
  normal: [],
  prod: PROD,
  canary: CANARY,
  'prod+canary': [...PROD, ...CANARY],
};
const ROLES = ['write-api', 'read-api', 'relay', 'projector'];

interface Route {
  destination: { host: string; port: { number: number } };
  weight?: number;
}
interface VirtualServiceSpec {
  hosts: string[];
  http: { route: Route[] }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: Record<string, unknown> & {
    containers: (Record<string, unknown> & { env?: { name: string; value?: string }[] })[];
  };
}
interface Deployment {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number; template: PodTemplate };
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** The first document of a repo YAML file. */
const yamlFile = (path: string): unknown =>
  parseAllDocuments(readFileSync(resolve(ROOT, path), 'utf8'))[0]?.toJS();
const byKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const routesOf = (vs: KubeObject) => (vs.spec as unknown as VirtualServiceSpec).http[0]!.route;

/** Whether a NetworkPolicy/Istio label selector selects a pod with these labels (the API's semantics). */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    return value === undefined;
  });
  return byLabel && byExpression;
}

describe('Helm chart (real Helm, real kube-apiserver, real operator)', () => {
  let env: KubeEnv;
  let admin: string;
  let helm: Helm;
  const operators: RunningOperator[] = [];
  const releases: { name: string; namespace: string }[] = [];
  const k = (args: string[], stdin?: string) => kubectl(admin, args, stdin);
  const must = async (args: string[], stdin?: string) => {
    const result = await k(args, stdin);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  /**
   * A real `helm install` in a namespace of its own, then an operator (the test's least-privilege identity bound to
   * the chart's own roles, so the chart's RBAC is proven sufficient) watching that namespace. Returns Helm's stdout.
   */
  const install = async (release: string, namespace: string, args: string[]): Promise<string> => {
    const result = await helm.run([
      'install',
      release,
      CHART,
      '-n',
      namespace,
      '--create-namespace',
      ...args,
    ]);
    if (result.code !== 0) throw new Error(`helm install ${release}: ${result.stderr}`);
    releases.push({ name: release, namespace });
    const rendered = await helm.render(release, namespace, args);
    const clusterRole = byKind(rendered, 'ClusterRole')[0]!.metadata.name;
    const leaderRole = byKind(rendered, 'Role')[0]!.metadata.name;
    const lease = byKind(rendered, 'Deployment')[0]!.metadata.name;
    const subject = { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'couponkill-operator-test' };
    const binding = (name: string, kind: string, role: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
      subjects: [subject],
    });
    await must(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          binding('operator-test', 'ClusterRole', clusterRole),
          binding('operator-test-leader', 'Role', leaderRole),
        ],
      }),
    );
    operators.push(
      await startOperator({
        kubeconfig: env.operatorKubeconfig,
        identity: `chart-${release}`,
        namespace,
        leaseNamespace: namespace,
        leaseName: lease,
      }),
    );
    return result.stdout;
  };
  const deployments = async (namespace: string) =>
    (await kubectlJson<{ items: Deployment[] }>(admin, ['deployments', '-n', namespace]))?.items ?? [];
  const awaitDeployments = (namespace: string, names: string[]) =>
    eventually(`Deployments ${names.join(', ')} in ${namespace}`, async () => {
      const found = await deployments(namespace);
      const have = new Set(found.map((d) => d.metadata.name));
      return names.every((n) => have.has(n)) && found;
    });

  beforeAll(async () => {
    ensureBuilt();
    env = startKubeEnv(CHART_INSTANCE);
    admin = env.adminKubeconfig;
    helm = helmFor(admin, CHART_INSTANCE);
    // As scripts/deploy.sh and the README do before every helm upgrade: Helm never upgrades crds/.
    await must(['apply', '--server-side', '--force-conflicts', '-f', resolve(CHART, 'crds')]);
    await must([
      'wait',
      '--for',
      'condition=Established',
      '--timeout',
      '30s',
      'crd/seckills.ops.couponkill.io',
    ]);
  }, 1_200_000);

  afterAll(async () => {
    await Promise.allSettled(operators.map((o) => o.stop('SIGKILL')));
    // No garbage collector here: uninstall only drops what Helm owns, and the namespaces stay (no namespace controller).
    await Promise.allSettled(releases.map((r) => helm.run(['uninstall', r.name, '-n', r.namespace])));
    env.stop();
  }, 120_000);

  it('copies agree with the operator: CRD bytes, generated schema, RBAC rules and the operator container', async () => {
    const check = await new Promise<{ code: number; out: string }>((done) =>
      execFile(
        process.execPath,
        [resolve(ROOT, 'scripts/sync-chart.mjs'), '--check'],
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(check).toEqual({ code: 0, out: expect.stringContaining('chart copies agree') });
    expect(readFileSync(resolve(CHART, 'crds/seckills.ops.couponkill.io.yaml'), 'utf8')).toBe(
      readFileSync(resolve(ROOT, 'operator/config/crd/seckills.ops.couponkill.io.yaml'), 'utf8'),
    );

    const rendered = await helm.render('copies', 'ns-copies');
    expect(byKind(rendered, 'ClusterRole')[0]!.rules).toEqual(
      (yamlFile('operator/config/rbac/role.yaml') as { rules: unknown[] }).rules,
    );
    expect(byKind(rendered, 'Role')[0]!.rules).toEqual(
      (yamlFile('operator/config/rbac/leader_election_role.yaml') as { rules: unknown[] }).rules,
    );
    // The container and pod settings are manager.yaml's, but for image, names and the namespace watched.
    const manager = (yamlFile('operator/config/manager/manager.yaml') as Deployment).spec.template.spec;
    const chart = (byKind(rendered, 'Deployment')[0]!.spec as unknown as Deployment['spec']).template.spec;
    const comparable = (pod: PodTemplate['spec']) => ({
      ...pod,
      serviceAccountName: undefined,
      containers: pod.containers.map((c) => ({
        ...c,
        image: undefined,
        imagePullPolicy: undefined,
        args: (c.args as string[]).filter(
          (a) => !/^--(namespace|all-namespaces|leader-election-id)\b/.test(a),
        ),
      })),
    });
    expect(comparable(chart)).toEqual(comparable(manager));
    expect(chart.containers[0]!.args).toEqual([
      'operator',
      '--namespace=ns-copies',
      '--leader-election-id=copies-couponkill-operator',
      '--metrics-port=8084',
    ]);
  });

  it('helm lint --strict is clean for normal, prod, canary and prod+canary values', async () => {
    for (const [name, args] of Object.entries(VALUE_SETS)) {
      const started = Date.now();
      const result = await helm.run(['lint', '--strict', CHART, ...args]);
      console.log(`helm lint --strict (${name}): ${Date.now() - started} ms`);
      expect({ name, code: result.code, out: result.stdout + result.stderr }).toEqual({
        name,
        code: 0,
        out: expect.stringContaining('0 chart(s) failed'),
      });
      expect(result.stdout).not.toContain('[WARNING]');
    }
  });

  it('a bad value is refused with a readable message', async () => {
    const refused = async (args: string[]) => {
      const result = await helm.run(['template', 'bad', CHART, '--kube-version', KUBE_VERSION, ...args]);
      expect(result.code).not.toBe(0);
      return result.stderr;
    };
    expect(await refused(['--set', 'canary.weight=101'])).toMatch(/canary\/weight.*maximum/);
    expect(await refused(['--set', 'seckill.spec.services.writeApi.replicas=-1'])).toMatch(
      /seckill\/spec\/services\/writeApi\/replicas.*minimum/,
    );
    expect(await refused(['--set', 'seckill.spec.services.writeApi.replicaz=2'])).toMatch(
      /seckill\/spec\/services\/writeApi.*additional propert.*replicaz/,
    );
    expect(await refused(['--set', 'canary.enabled=true', '--set', 'istio.enabled=false'])).toContain(
      'canary.enabled=true needs istio.enabled=true',
    );
    expect(await refused(['--set', 'operator.watch=everything'])).toMatch(/operator\/watch/);
  });

  it('every object of every values file passes a server-side dry run', async () => {
    const ns = `ck-dry-${suffix}`;
    await must(['create', 'namespace', ns]);
    const expected: Record<string, string[]> = {
      normal: ['Seckill', 'Deployment', 'Service', 'ClusterRole', 'Role', 'RoleBinding', 'ServiceAccount'],
      prod: ['Seckill', 'NetworkPolicy', 'ServiceMonitor', 'PodDisruptionBudget'],
      canary: ['VirtualService', 'DestinationRule', 'PeerAuthentication', 'AuthorizationPolicy'],
      'prod+canary': ['VirtualService', 'NetworkPolicy', 'ServiceMonitor'],
    };
    for (const [name, args] of Object.entries(VALUE_SETS)) {
      // Both gateway hosts, so the Gateway is part of the check too.
      const hosts = [
        '--set',
        'istio.gateway.hosts.writeApi=w.example.com',
        '--set',
        'istio.gateway.hosts.readApi=r.example.com',
      ];
      const rendered = await helm.render(`dry-${name.replace('+', '-')}`, ns, [...args, ...hosts]);
      const started = Date.now();
      const result = await k(
        ['apply', '--dry-run=server', '-o', 'name', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: rendered,
        }),
      );
      console.log(`server-side dry run (${name}, ${rendered.length} objects): ${Date.now() - started} ms`);
      expect({ name, code: result.code, stderr: result.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(result.stdout.trim().split('\n')).toHaveLength(rendered.length);
      const kinds = new Set(rendered.map((o) => o.kind));
      for (const kind of expected[name]!)
        expect({ name, kind, rendered: kinds.has(kind) }).toEqual({ name, kind, rendered: true });
      if (name.includes('canary')) expect(kinds.has('Gateway')).toBe(true);
      else expect(rendered.filter((o) => o.apiVersion.includes('istio.io'))).toEqual([]);
    }
  });

  it('installs with the default values and the operator reconciles the Seckill', async () => {
    const ns = `ck-chart-normal-${suffix}`;
    const notes = await install('normal', ns, []);
    expect(notes).toContain(`kubectl get sk -n ${ns}`);
    expect(notes).toContain('kubectl apply --server-side -f deploy/helm/couponkill/crds/');
    await awaitDeployments(ns, ['normal-couponkill-operator', ...ROLES.map((r) => `normal-${r}`)]);
    const hpa = await kubectlJson(admin, ['hpa', 'normal-write-api', '-n', ns]);
    expect(hpa).toBeDefined();
  });

  it('installs with the production values: spread, hardened pods, PDBs, KEDA, release label, secrets only by reference', async () => {
    const ns = `ck-chart-prod-${suffix}`;
    await install('prod', ns, PROD);
    const found = await awaitDeployments(
      ns,
      ROLES.map((r) => `prod-${r}`),
    );
    const writeApi = found.find((d) => d.metadata.name === 'prod-write-api')!;
    const pod = writeApi.spec.template.spec;
    const container = pod.containers[0]!;
    expect(pod).toMatchObject({
      affinity: { podAntiAffinity: expect.anything() },
      topologySpreadConstraints: [expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone' })],
      securityContext: expect.objectContaining({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      volumes: expect.arrayContaining([expect.objectContaining({ name: 'tmp' })]),
    });
    expect(container).toMatchObject({
      startupProbe: { httpGet: { path: '/healthz', port: 'ops' }, periodSeconds: 5 },
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
      securityContext: expect.objectContaining({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      }),
    });
    for (const d of found) {
      for (const e of d.spec.template.spec.containers[0]!.env ?? [])
        expect({
          deployment: d.metadata.name,
          env: e.name,
          literalCredentials: e.value?.includes('@') ?? false,
        }).toEqual({ deployment: d.metadata.name, env: e.name, literalCredentials: false });
    }
    for (const role of ROLES)
      await eventually(`PDB prod-${role}`, () => kubectlJson(admin, ['pdb', `prod-${role}`, '-n', ns]));
    await eventually('ScaledObject prod-projector', () =>
      kubectlJson(admin, ['scaledobject', 'prod-projector', '-n', ns]),
    );
    const monitor = await eventually('ServiceMonitor prod-couponkill', () =>
      kubectlJson<KubeObject>(admin, ['servicemonitor', 'prod-couponkill', '-n', ns]),
    );
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('sets the web app’s CORS origin and write-API URL from the gateway hosts, unless the values set them', async () => {
    const envOf = async (args: string[]) => {
      const rendered = await helm.render('web', 'ns-w', ['--set', 'istio.enabled=true', ...args]);
      const spec = byKind(rendered, 'Seckill')[0]?.spec as {
        services: Record<string, { env?: { name: string; value?: string }[] }>;
      };
      return { write: spec.services.writeApi?.env ?? [], read: spec.services.readApi?.env ?? [] };
    };
    const hosts = [
      '--set',
      'istio.gateway.hosts.writeApi=api.shop.example',
      '--set',
      'istio.gateway.hosts.readApi=shop.example',
    ];
    expect(await envOf(hosts)).toEqual({
      write: [{ name: 'COUPONKILL_CORS_ORIGINS', value: 'http://shop.example' }],
      read: [{ name: 'COUPONKILL_PUBLIC_WRITE_API_URL', value: 'http://api.shop.example' }],
    });
    const tls = await envOf([...hosts, '--set', 'istio.gateway.tls.credentialName=shop-cert']);
    expect(tls.write).toEqual([{ name: 'COUPONKILL_CORS_ORIGINS', value: 'https://shop.example' }]);
    const own = await envOf([
      ...hosts,
      '--set',
      'seckill.spec.services.writeApi.env[0].name=COUPONKILL_CORS_ORIGINS',
      '--set',
      'seckill.spec.services.writeApi.env[0].value=https://www.shop.example',
    ]);
    expect(own.write).toEqual([{ name: 'COUPONKILL_CORS_ORIGINS', value: 'https://www.shop.example' }]);
    expect(await envOf(['--set', 'istio.gateway.hosts.readApi=*.shop.example'])).toEqual({
      write: [],
      read: [],
    });
  });

  describe('canary', () => {
    const ns = `ck-chart-canary-${suffix}`;
    const release = 'canary';
    const canaryArgs = [
      ...CANARY,
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'istio.gateway.hosts.writeApi=w.example.com',
    ];
    /** scripts/deploy.sh against this test's release, with the Helm that kube-env.sh builds. */
    const deploySh = (args: string[], extra: Record<string, string> = {}) =>
      new Promise<{ code: number; stderr: string }>((done) =>
        execFile(
          'bash',
          [resolve(ROOT, 'scripts/deploy.sh'), ...args],
          {
            env: {
              ...process.env,
              ...scriptEnv(CHART_INSTANCE),
              KUBECONFIG: admin,
              HELM_RELEASE: release,
              KUBE_NAMESPACE: ns,
              ...extra,
            },
          },
          (error, _stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        ),
      );
    const storedRoutes = async (api: string) => {
      const vs = await kubectlJson<KubeObject>(admin, [
        'virtualservice',
        `canary-couponkill-${api}`,
        '-n',
        ns,
      ]);
      return routesOf(vs!).map((r) => [r.destination.host, r.weight]);
    };

    it('retries only requests that never reached a pod, and leaves the notification stream without a timeout', async () => {
      interface HttpRoute {
        name: string;
        match: { uri: Record<string, string> }[];
        timeout?: string;
        retries: { attempts: number; retryOn?: string };
        route: unknown[];
      }
      const rendered = await helm.render('canary', 'ns-c', CANARY);
      const http = (name: string) =>
        (
          byKind(rendered, 'VirtualService').find((vs) => vs.metadata.name === name)?.spec as {
            http: HttpRoute[];
          }
        ).http;
      const write = http('canary-couponkill-write-api');
      const read = http('canary-couponkill-read-api');
      // A POST /seckill retried after a 5xx or a reset could buy twice; a 503 is shedding, which retries multiply.
      expect(write.map((r) => r.retries)).toEqual([
        { attempts: 2, retryOn: 'connect-failure,refused-stream' },
      ]);
      expect(read.map((r) => [r.name, r.retries])).toEqual([
        ['read-api-notification-stream', { attempts: 0 }],
        ['read-api', { attempts: 2, retryOn: 'connect-failure,refused-stream,reset' }],
      ]);
      // Server-sent events stay open as long as the buyer watches: no route timeout (Istio's default is none).
      expect(read[0]?.match).toEqual([{ uri: { exact: '/api/v1/notifications/stream' } }]);
      expect(read[0]?.timeout).toBeUndefined();
      expect(read[0]?.route).toEqual(read[1]?.route);
      // The web app, which read-api serves, goes through the same front door as its API; the write API has none.
      expect(read[1]?.match).toEqual(
        expect.arrayContaining([{ uri: { exact: '/' } }, { uri: { prefix: '/app' } }]),
      );
      expect(JSON.stringify(write)).not.toContain('/app');
    });

    it('renders 90/10 in both VirtualServices; one value moves it; weight 0 is stable only', async () => {
      const weights = async (args: string[]) => {
        const rendered = await helm.render('canary', 'ns-c', args);
        return byKind(rendered, 'VirtualService').map((vs) => [
          vs.metadata.name,
          routesOf(vs).map((r) => [r.destination.host, r.weight]),
        ]);
      };
      expect(await weights(CANARY)).toEqual([
        [
          'canary-couponkill-write-api',
          [
            ['canary-write-api.ns-c.svc.cluster.local', 90],
            ['canary-canary-write-api.ns-c.svc.cluster.local', 10],
          ],
        ],
        [
          'canary-couponkill-read-api',
          [
            ['canary-read-api.ns-c.svc.cluster.local', 90],
            ['canary-canary-read-api.ns-c.svc.cluster.local', 10],
          ],
        ],
      ]);
      const moved = await weights([...CANARY, '--set', 'canary.weight=25']);
      expect(moved.map(([, routes]) => (routes as unknown[][]).map((r) => r[1]))).toEqual([
        [75, 25],
        [75, 25],
      ]);
      const stableOnly = await weights([...CANARY, '--set', 'canary.weight=0']);
      expect(stableOnly.map(([, routes]) => routes)).toEqual([
        [['canary-write-api.ns-c.svc.cluster.local', undefined]],
        [['canary-read-api.ns-c.svc.cluster.local', undefined]],
      ]);
    });

    it('installs: the operator builds the canary APIs only; every Istio host and selector is what the operator made', async () => {
      const notes = await install(release, ns, canaryArgs);
      expect(notes).toContain('canary.weight=10');
      const found = await awaitDeployments(ns, [
        ...ROLES.map((r) => `canary-${r}`),
        'canary-canary-write-api',
        'canary-canary-read-api',
      ]);
      expect(found.map((d) => d.metadata.name)).not.toEqual(expect.arrayContaining(['canary-canary-relay']));
      expect(found.map((d) => d.metadata.name)).not.toEqual(
        expect.arrayContaining(['canary-canary-projector']),
      );
      expect(await storedRoutes('write-api')).toEqual([
        [`canary-write-api.${ns}.svc.cluster.local`, 90],
        [`canary-canary-write-api.${ns}.svc.cluster.local`, 10],
      ]);

      // Drift: the chart's mirrors of the operator's names, ports and labels agree with what the operator created.
      const services = await eventually('canary Services', async () => {
        const list = await kubectlJson<{
          items: {
            metadata: { name: string; labels?: Record<string, string> };
            spec: { ports: { port: number }[] };
          }[];
        }>(admin, ['services', '-n', ns]);
        const items = list?.items ?? [];
        return items.some((s) => s.metadata.name === 'canary-canary-read-api') && items;
      });
      const operatorMade = services.filter(
        (s) => s.metadata.labels?.['app.kubernetes.io/managed-by'] === 'couponkill-operator',
      );
      const serviceByHost = new Map(
        operatorMade.map((s) => [`${s.metadata.name}.${ns}.svc.cluster.local`, s]),
      );
      const rendered = await helm.render(release, ns, canaryArgs);
      for (const vs of byKind(rendered, 'VirtualService'))
        for (const route of routesOf(vs)) {
          const service = serviceByHost.get(route.destination.host);
          expect({ host: route.destination.host, exists: service !== undefined }).toEqual({
            host: route.destination.host,
            exists: true,
          });
          expect(service!.spec.ports.map((p) => p.port)).toContain(route.destination.port.number);
        }
      for (const dr of byKind(rendered, 'DestinationRule')) {
        const host = (dr.spec as { host: string }).host;
        expect({ host, exists: serviceByHost.has(host) }).toEqual({ host, exists: true });
      }
      const podLabels = found.map((d) => d.spec.template.metadata.labels);
      const selectors: [string, LabelSelector][] = [
        ...byKind(rendered, 'NetworkPolicy').map((p): [string, LabelSelector] => [
          p.metadata.name,
          (p.spec as { podSelector: LabelSelector }).podSelector,
        ]),
        ...[...byKind(rendered, 'PeerAuthentication'), ...byKind(rendered, 'AuthorizationPolicy')].map(
          (p): [string, LabelSelector] => [p.metadata.name, (p.spec as { selector: LabelSelector }).selector],
        ),
      ].filter(([, s]) => Object.keys(s).length > 0);
      expect(selectors.length).toBeGreaterThan(5);
      for (const [name, selector] of selectors)
        expect({ name, matchesAPod: podLabels.some((labels) => selects(selector, labels)) }).toEqual({
          name,
          matchesAPod: true,
        });

      // The flows NetworkPolicy allows, port by port.
      const policy = (suffixName: string) =>
        byKind(rendered, 'NetworkPolicy').find((p) => p.metadata.name === `canary-couponkill-${suffixName}`)!
          .spec as Record<string, { ports: { port: number }[] }[]>;
      const ports = (rules: { ports: { port: number }[] }[] | undefined) =>
        (rules ?? []).flatMap((r) => r.ports.map((p) => p.port));
      expect(ports(policy('api-ingress').ingress)).toEqual([8080, 8081]);
      expect(ports(policy('ops-ingress').ingress)).toEqual([9090]);
      expect(ports(policy('lag-ingress').ingress)).toEqual([9090]);
      expect(ports(policy('dns').egress)).toEqual([53, 53]);
      expect(ports(policy('middleware-egress').egress)).toEqual([
        6379, 3306, 2113, 8081, 9876, 10911, 8848, 9848,
      ]);
      expect(ports(policy('operator').egress)).toEqual([443, 6443, 9090]);
      expect(ports(policy('istio').egress)).toEqual([15012, 15017]);
    });

    it('a real helm upgrade moves the stored weights; deploy.sh shifts the canary and rolls it back', async () => {
      const upgraded = await helm.run([
        'upgrade',
        release,
        CHART,
        '-n',
        ns,
        '--reuse-values',
        '--set',
        'canary.weight=25',
      ]);
      expect(upgraded.stderr).toBe('');
      expect(await storedRoutes('read-api')).toEqual([
        [`canary-read-api.${ns}.svc.cluster.local`, 75],
        [`canary-canary-read-api.${ns}.svc.cluster.local`, 25],
      ]);

      // scripts/deploy.sh as the Jenkinsfile runs it: a new canary image at another weight, the gate's refusal without
      // a Prometheus to ask, then the rollback a failed pipeline runs.
      const shifted = await deploySh(['canary', '30'], { IMAGE_TAG: '0.2.0' });
      expect(shifted).toEqual({ code: 0, stderr: expect.stringContaining('canary 0.2.0 at 30 %') });
      expect(await storedRoutes('write-api')).toEqual([
        [`canary-write-api.${ns}.svc.cluster.local`, 70],
        [`canary-canary-write-api.${ns}.svc.cluster.local`, 30],
      ]);
      const canarySpec = await kubectlJson<{ spec: { image: string } }>(admin, [
        'seckill',
        'canary-canary',
        '-n',
        ns,
      ]);
      expect(canarySpec?.spec.image).toBe('couponkill:0.2.0');
      // A release without the mesh: turning Istio on mid-rollout would switch the whole release to STRICT mTLS.
      expect(
        await deploySh(['canary', '10'], {
          HELM_RELEASE: 'normal',
          KUBE_NAMESPACE: `ck-chart-normal-${suffix}`,
        }),
      ).toEqual({ code: 1, stderr: expect.stringContaining('needs Istio') });
      expect(await deploySh(['canary', '101'])).toEqual({
        code: 1,
        stderr: expect.stringContaining('a whole percent from 0 to 100'),
      });
      expect(await deploySh(['gate', '1'], { COUPONKILL_PROMETHEUS_URL: '' })).toEqual({
        code: 1,
        stderr: expect.stringContaining('COUPONKILL_PROMETHEUS_URL is not set'),
      });

      const rollback = await deploySh(['rollback']);
      expect(rollback).toEqual({ code: 0, stderr: expect.stringContaining('rolling back') });
      expect(await storedRoutes('write-api')).toEqual([
        [`canary-write-api.${ns}.svc.cluster.local`, undefined],
      ]);
      expect(await kubectlJson(admin, ['seckill', 'canary-canary', '-n', ns])).toBeUndefined();
      // No garbage collector on the test server: the canary's Deployments stay, but they are owned by the deleted
      // Seckill, so a real cluster removes them.
      const orphan = await kubectlJson<{ metadata: { ownerReferences?: { kind: string; name: string }[] } }>(
        admin,
        ['deployment', 'canary-canary-write-api', '-n', ns],
      );
      expect(orphan?.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Seckill', name: 'canary-canary' }),
      ]);
    });
  });
});
