import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { freePort } from './support/child-process';
import {
  eventually,
  kubeApiRequest,
  kubectl,
  kubectlJson,
  startKubeEnv,
  type KubeEnv,
} from './support/kube-env';
import {
  ensureBuilt,
  OPERATOR_TEST_BINDINGS,
  startOperator,
  type RunningOperator,
} from './support/kube-operator';

/**
 * The operator against a real kube-apiserver + etcd (scripts/kube-env.sh), run as its own process from dist/ with
 * the least-privilege identity bound by operator/config/rbac. The server runs no controllers: no pods, and no garbage
 * collector, so a test plays the deployment controller where it needs Ready Deployments.
 */
const ROOT = resolve(__dirname, '..');
const CRD = resolve(ROOT, 'operator/config/crd/seckills.ops.couponkill.io.yaml');
const SAMPLE = resolve(ROOT, 'operator/config/samples/ops_v1_seckill.yaml');
const suffix = randomBytes(3).toString('hex');
const NS = `ck-op-${suffix}`;
const LEASE = `couponkill-operator-${suffix}`;
const ROLES = ['write-api', 'read-api', 'relay', 'projector'];

interface Meta {
  name: string;
  uid: string;
  generation?: number;
  labels?: Record<string, string>;
  ownerReferences?: { uid: string; kind: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
}
interface Obj {
  metadata: Meta;
  spec?: Record<string, unknown> & { replicas?: number };
  status?: Record<string, unknown>;
}
interface SeckillStatus {
  phase?: string;
  observedGeneration?: number;
  readyServices?: string;
  projectionLag?: number;
  services?: Record<string, { phase: string }>;
  conditions?: {
    type: string;
    status: string;
    reason: string;
    lastTransitionTime: string;
    observedGeneration?: number;
  }[];
}
type SeckillObject = Obj & { status?: SeckillStatus };

describe('Seckill operator (real kube-apiserver)', () => {
  let env: KubeEnv;
  let admin: string;
  let lagServer: Server;
  let lagUrl: string;
  let leader: RunningOperator | undefined;
  let standby: RunningOperator | undefined;
  const k = (args: string[], stdin?: string) => kubectl(admin, args, stdin);
  const get = <T = Obj>(args: string[]) => kubectlJson<T>(admin, [...args, '-n', NS]);
  const seckill = () => get<SeckillObject>(['seckill', 'flash']);
  const condition = (s: SeckillObject | undefined, type: string) =>
    s?.status?.conditions?.find((c) => c.type === type);
  const eventReasons = async (name: string) => {
    const list = await get<{ items: { reason: string; message: string; type: string }[] }>([
      'events',
      '--field-selector',
      `involvedObject.name=${name}`,
    ]);
    return list?.items ?? [];
  };

  beforeAll(async () => {
    ensureBuilt();
    env = startKubeEnv();
    admin = env.adminKubeconfig;
    for (const args of [
      ['apply', '-f', CRD],
      ['wait', '--for', 'condition=Established', '--timeout', '30s', 'crd/seckills.ops.couponkill.io'],
      ['apply', '-f', resolve(ROOT, 'operator/config/manager/namespace.yaml')],
      ['apply', '-f', resolve(ROOT, 'operator/config/rbac')],
      ['create', 'namespace', NS],
    ]) {
      const result = await k(args);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    }
    const bound = await k(['apply', '-f', '-'], OPERATOR_TEST_BINDINGS);
    if (bound.code !== 0) throw new Error(bound.stderr);

    const lagPort = await freePort();
    lagServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          head: '1042',
          projections: {
            orders: { generation: 1, checkpoint: '1000', lag: 42 },
            coupons: { generation: 1, checkpoint: '1042', lag: 0 },
            stats: { generation: 1, checkpoint: '1030', lag: 12 },
          },
          maxLag: 42,
        }),
      );
    });
    await new Promise<void>((done) => lagServer.listen(lagPort, '127.0.0.1', done));
    lagUrl = `http://127.0.0.1:${String(lagPort)}/api/v1/projections/lag`;
  }, 1_200_000);

  afterAll(async () => {
    await Promise.allSettled([leader?.stop('SIGKILL'), standby?.stop('SIGKILL')]);
    await new Promise((done) => lagServer.close(done));
    // A bare apiserver has no namespace controller: the namespace would stay Terminating, so leave it.
    env.stop();
  });

  describe('kubectl', () => {
    it('applies the sample, and kubectl get sk shows the printer columns', async () => {
      const applied = await k(['apply', '-f', SAMPLE]);
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain('seckill.ops.couponkill.io/couponkill-demo');
      const table = await k(['get', 'sk', '-n', 'default']);
      expect(table.stdout.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'PHASE', 'READY', 'LAG', 'AGE']);
      expect(table.stdout).toContain('couponkill-demo');
      const stored = await kubectlJson<SeckillObject>(admin, ['sk', 'couponkill-demo', '-n', 'default']);
      // Defaults come from the schema.
      expect(stored?.spec).toMatchObject({
        imagePullPolicy: 'IfNotPresent',
        services: { relay: { opsPort: 9090 }, projector: { opsPort: 9090 } },
        scaling: { keda: { enabled: true, lagThreshold: 100, minReplicaCount: 0, pollingInterval: 30 } },
      });
      await k(['delete', '-f', SAMPLE]);
    });

    it('rejects an invalid spec with a readable message', async () => {
      const bad = `
apiVersion: ops.couponkill.io/v1
kind: Seckill
metadata: { name: bad, namespace: ${NS} }
spec:
  image: couponkill:test
  services: { relay: { replicas: 3 }, writeApi: { replicas: -1 } }
  middleware: { redis: { url: 'redis://user:secret@redis:6379' } }
  scaling: { hpa: { minReplicas: 5, maxReplicas: 2 } }
`;
      const result = await k(['apply', '-f', '-'], bad);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('The Seckill "bad" is invalid');
      expect(result.stderr).toContain('run at most one relay');
      expect(result.stderr).toContain('spec.services.writeApi.replicas');
      expect(result.stderr).toContain('must not carry credentials; use urlSecretRef');
      expect(result.stderr).toContain('minReplicas must not exceed maxReplicas');
      const noImage = await k(
        ['apply', '-f', '-'],
        `{"apiVersion":"ops.couponkill.io/v1","kind":"Seckill","metadata":{"name":"bad","namespace":"${NS}"},"spec":{}}`,
      );
      expect(noImage.stderr).toContain('spec.image: Required value');
    });

    it('rejects ops ports that clash, non-namespaced sysctls and an out-of-range backlog', async () => {
      const bad = `
apiVersion: ops.couponkill.io/v1
kind: Seckill
metadata: { name: bad-ops, namespace: ${NS} }
spec:
  image: couponkill:test
  services:
    writeApi: { ports: [{ name: http, port: 8080, targetPort: 9090 }] }
    readApi: { ports: [{ name: ops, port: 8081 }] }
    relay: { opsPort: 0 }
  pod:
    sysctls:
      - { name: net.core.somaxconn, value: '16384' }
      - { name: fs.file-max, value: '1048576' }
      - { name: 'Net.Core', value: '1' }
  listenBacklog: 70000
`;
      const result = await k(['apply', '-f', '-'], bad);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('The Seckill "bad-ops" is invalid');
      expect(result.stderr).toContain('opsPort must differ from every port and targetPort in ports');
      expect(result.stderr).toContain('the port name ops is taken by the ops listener');
      expect(result.stderr).toContain('spec.services.relay.opsPort');
      expect(result.stderr).toContain('spec.pod.sysctls[1].name');
      expect(result.stderr).toContain('only namespaced sysctls can be set per pod');
      expect(result.stderr).toContain('spec.pod.sysctls[2].name');
      expect(result.stderr).toContain('spec.listenBacklog');
      expect(result.stderr).not.toContain('spec.pod.sysctls[0]');
    });

    it('refuses more projector replicas than partitions, by KEDA or by hand', async () => {
      const seckill = (name: string, spec: string) => `
apiVersion: ops.couponkill.io/v1
kind: Seckill
metadata: { name: ${name}, namespace: ${NS} }
spec:
  image: couponkill:test
${spec}
`;
      const tooMany = await k(
        ['apply', '-f', '-'],
        seckill('too-many', '  scaling: { keda: { enabled: true, maxReplicaCount: 17 } }'),
      );
      expect(tooMany.code).not.toBe(0);
      expect(tooMany.stderr).toContain('scaling.keda.maxReplicaCount must not exceed projections.partitions');
      const byHand = await k(
        ['apply', '-f', '-'],
        seckill('by-hand', '  projections: { partitions: 4 }\n  services: { projector: { replicas: 5 } }'),
      );
      expect(byHand.code).not.toBe(0);
      expect(byHand.stderr).toContain('services.projector.replicas');
      const badCount = await k(
        ['apply', '-f', '-'],
        seckill('bad-count', '  projections: { partitions: 0 }'),
      );
      expect(badCount.code).not.toBe(0);
      expect(badCount.stderr).toContain('spec.projections.partitions');
      const fits = await k(
        ['apply', '--dry-run=server', '-f', '-'],
        seckill(
          'fits',
          '  projections: { partitions: 32 }\n  scaling: { keda: { enabled: true, maxReplicaCount: 32 } }',
        ),
      );
      expect(fits.stderr).toBe('');
      expect(fits.code).toBe(0);
    });
  });

  describe('controller', () => {
    it('elects one leader; a second replica stays passive', async () => {
      const options = {
        kubeconfig: env.operatorKubeconfig,
        namespace: NS,
        leaseNamespace: 'couponkill-system',
        leaseName: LEASE,
      };
      leader = await startOperator({ ...options, identity: 'operator-a' });
      await eventually('operator-a to lead', () => leader?.leader() ?? Promise.resolve(false));
      standby = await startOperator({ ...options, identity: 'operator-b' });
      await new Promise((r) => setTimeout(r, 3000));
      expect(await standby.leader()).toBe(false);
      const lease = await kubectlJson<{ spec: { holderIdentity: string; leaseDurationSeconds: number } }>(
        admin,
        ['lease', LEASE, '-n', 'couponkill-system'],
      );
      expect(lease?.spec).toMatchObject({ holderIdentity: 'operator-a', leaseDurationSeconds: 15 });
      const metrics = await (await fetch(`${standby.metricsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^couponkill_operator_leader 0$/m);
    });

    it('creates Deployments, Services, HPAs, a ScaledObject and a ServiceMonitor, owned by the Seckill', async () => {
      const manifest = `
apiVersion: ops.couponkill.io/v1
kind: Seckill
metadata: { name: flash, namespace: ${NS} }
spec:
  image: couponkill:1.0.0
  services:
    writeApi:
      replicas: 2
      resources: { requests: { cpu: 250m, memory: 256Mi } }
      podDisruptionBudget: { enabled: true }
      pod: { antiAffinity: preferred, labels: { team: growth } }
  auth: { jwtSecretRef: { name: jwt, key: secret } }
  middleware:
    redis: { url: 'redis://redis:6379' }
    eventStore: { urlSecretRef: { name: db, key: events } }
  scaling:
    hpa: { enabled: true, minReplicas: 2, maxReplicas: 5 }
    keda: { enabled: true, lagThreshold: 100, lagUrl: '${lagUrl}' }
  monitoring: { prometheusEnabled: true, serviceMonitorLabels: { release: kube-prometheus-stack } }
  pod: { sysctls: [{ name: net.core.somaxconn, value: '16384' }] }
  listenBacklog: 8192
`;
      const created = await k(['apply', '-f', '-'], manifest);
      expect(created.stderr).toBe('');
      const owner = await seckill();
      const uid = owner?.metadata.uid ?? '';

      const deployments = await eventually('4 Deployments', async () => {
        const list = await get<{ items: Obj[] }>(['deployments', '-l', 'ops.couponkill.io/seckill=flash']);
        return list?.items.length === 4 ? list.items : undefined;
      });
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(ROLES.map((r) => `flash-${r}`).sort());
      for (const d of deployments) {
        expect(d.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'Seckill', uid, controller: true, blockOwnerDeletion: true }),
        ]);
        const role = d.metadata.name.replace('flash-', '');
        expect(d.spec).toMatchObject({
          selector: {
            matchLabels: { 'app.kubernetes.io/instance': 'flash', 'app.kubernetes.io/component': role },
          },
          template: { spec: { containers: [{ image: 'couponkill:1.0.0', args: [role] }] } },
        });
      }
      const writeApi = deployments.find((d) => d.metadata.name === 'flash-write-api');
      expect(JSON.stringify(writeApi)).toContain('"secretKeyRef":{"key":"secret","name":"jwt"}');
      // Every role: an ops port the probes, scrapes and env agree on; the pod's sysctls; the listen backlog.
      const ops = { name: 'ops', containerPort: 9090, protocol: 'TCP' };
      for (const d of deployments) {
        const role = d.metadata.name.replace('flash-', '');
        const http = { 'write-api': 8080, 'read-api': 8081 }[role];
        expect(d.spec).toMatchObject({
          template: {
            metadata: { annotations: { 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' } },
            spec: {
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                seccompProfile: { type: 'RuntimeDefault' },
                sysctls: [{ name: 'net.core.somaxconn', value: '16384' }],
              },
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  ports: http ? [{ name: 'http', containerPort: http, protocol: 'TCP' }, ops] : [ops],
                  startupProbe: {
                    httpGet: { path: '/healthz', port: 'ops' },
                    failureThreshold: role === 'write-api' ? 120 : 60,
                  },
                  readinessProbe: { httpGet: { path: '/readyz', port: 'ops' } },
                  livenessProbe: { httpGet: { path: '/healthz', port: 'ops' } },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ['ALL'] },
                  },
                  env: expect.arrayContaining([
                    { name: 'COUPONKILL_OPS_HOST', value: '0.0.0.0' },
                    { name: 'COUPONKILL_OPS_PORT', value: '9090' },
                    { name: 'COUPONKILL_LISTEN_BACKLOG', value: '8192' },
                  ]),
                },
              ],
            },
          },
        });
        expect(JSON.stringify(d.spec)).not.toMatch(/COUPONKILL_(PROJECTOR|RELAY)_PORT/);
        // The API server kept the preStop sleep action (beta and on by default from Kubernetes 1.30).
        const hook = (d.spec as { template: { spec: { containers: { lifecycle?: unknown }[] } } }).template
          .spec.containers[0]?.lifecycle;
        expect(hook).toEqual(http ? { preStop: { sleep: { seconds: 5 } } } : undefined);
      }
      expect(writeApi?.spec).toMatchObject({
        template: {
          metadata: { labels: { team: 'growth', 'app.kubernetes.io/component': 'write-api' } },
          spec: {
            affinity: {
              podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100 }] },
            },
          },
        },
      });
      const budget = await eventually<Obj>('the write-api PodDisruptionBudget', () =>
        get(['poddisruptionbudgets.policy', 'flash-write-api']),
      );
      expect(budget.metadata.ownerReferences?.[0]?.uid).toBe(uid);
      expect(budget.spec).toMatchObject({
        maxUnavailable: 1,
        selector: {
          matchLabels: { 'app.kubernetes.io/instance': 'flash', 'app.kubernetes.io/component': 'write-api' },
        },
      });

      const services = await get<{ items: Obj[] }>(['services', '-l', 'ops.couponkill.io/seckill=flash']);
      expect(services?.items.map((s) => s.metadata.name).sort()).toEqual(
        ROLES.map((r) => `flash-${r}`).sort(),
      );
      const opsPort = { name: 'ops', port: 9090, targetPort: 9090, protocol: 'TCP' };
      const portsOf = (name: string) => services?.items.find((s) => s.metadata.name === name)?.spec?.ports;
      expect(portsOf('flash-write-api')).toEqual([
        { name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' },
        opsPort,
      ]);
      expect(portsOf('flash-read-api')).toEqual([
        { name: 'http', port: 8081, targetPort: 8081, protocol: 'TCP' },
        opsPort,
      ]);
      expect(portsOf('flash-relay')).toEqual([opsPort]);
      expect(portsOf('flash-projector')).toEqual([opsPort]);

      const hpas = await eventually('2 HPAs', async () => {
        const list = await get<{ items: (Obj & { apiVersion: string })[] }>([
          'horizontalpodautoscalers.v2.autoscaling',
        ]);
        return list?.items.length === 2 ? list.items : undefined;
      });
      expect(hpas.map((h) => h.metadata.name).sort()).toEqual(['flash-read-api', 'flash-write-api']);
      expect(hpas[0]?.spec).toMatchObject({
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [{ type: 'Resource' }],
      });

      const scaled = await eventually<Obj>('the ScaledObject', () =>
        get(['scaledobjects.keda.sh', 'flash-projector']),
      );
      expect(scaled.spec).toMatchObject({
        scaleTargetRef: { name: 'flash-projector' },
        triggers: [
          { type: 'metrics-api', metadata: { url: lagUrl, valueLocation: 'maxLag', targetValue: '100' } },
        ],
      });
      expect(scaled.metadata.ownerReferences?.[0]?.uid).toBe(uid);
      const monitor = await eventually<Obj>('the ServiceMonitor', () =>
        get(['servicemonitors.monitoring.coreos.com', 'flash-couponkill']),
      );
      expect(monitor.metadata.ownerReferences?.[0]?.uid).toBe(uid);
      expect(monitor.spec?.endpoints).toEqual([{ port: 'ops', path: '/metrics', interval: '30s' }]);
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
    });

    it('reports status, conditions, lag and Events', async () => {
      const status = await eventually('status with lag', async () => {
        const s = await seckill();
        return s?.status?.projectionLag === 42 ? s : undefined;
      });
      expect(status.status).toMatchObject({
        phase: 'Progressing',
        observedGeneration: 1,
        readyServices: '0/4',
      });
      expect(condition(status, 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ServicesNotReady',
        observedGeneration: 1,
      });
      expect(condition(status, 'Progressing')).toMatchObject({ status: 'True' });
      expect(condition(status, 'Degraded')).toMatchObject({ status: 'False' });
      const events = await eventually('Created events', async () => {
        const list = await eventReasons('flash');
        return list.filter((e) => e.reason === 'Created').length >= 12 ? list : undefined;
      });
      expect(events.map((e) => e.message)).toEqual(
        expect.arrayContaining([
          'created Deployment/flash-write-api',
          'created ScaledObject/flash-projector',
        ]),
      );

      // Play the deployment controller: every Deployment rolled out and ready.
      const degradedSince = condition(status, 'Degraded')?.lastTransitionTime;
      for (const role of ROLES) {
        const d = await get(['deployment', `flash-${role}`]);
        const replicas = d?.spec?.replicas ?? 1;
        const patched = await kubeApiRequest(
          admin,
          'PATCH',
          `/apis/apps/v1/namespaces/${NS}/deployments/flash-${role}/status`,
          {
            status: {
              observedGeneration: d?.metadata.generation,
              replicas,
              readyReplicas: replicas,
              updatedReplicas: replicas,
              availableReplicas: replicas,
            },
          },
        );
        expect(patched.status).toBe(200);
      }
      const readySk = await eventually('phase Ready', async () => {
        const s = await seckill();
        return s?.status?.phase === 'Ready' ? s : undefined;
      });
      expect(readySk.status?.readyServices).toBe('4/4');
      expect(condition(readySk, 'Ready')).toMatchObject({ status: 'True', reason: 'AllServicesReady' });
      expect(condition(readySk, 'Degraded')?.lastTransitionTime).toBe(degradedSince);
      const table = await k(['get', 'sk', 'flash', '-n', NS]);
      expect(table.stdout.split('\n')[1]?.split(/\s+/).slice(0, 4)).toEqual(['flash', 'Ready', '4/4', '42']);
      expect((await eventReasons('flash')).map((e) => e.reason)).toContain('PhaseReady');
    });

    it('applies spec updates to the objects', async () => {
      const patch = {
        spec: {
          image: 'couponkill:1.1.0',
          services: { relay: { env: [{ name: 'COUPONKILL_LOG_LEVEL', value: 'debug' }] } },
          scaling: { hpa: { maxReplicas: 8 } },
        },
      };
      const patched = await k([
        'patch',
        'sk',
        'flash',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify(patch),
      ]);
      expect(patched.stderr).toBe('');
      await eventually('new image everywhere', async () => {
        const list = await get<{ items: Obj[] }>(['deployments', '-l', 'ops.couponkill.io/seckill=flash']);
        return list?.items.every((d) => JSON.stringify(d.spec).includes('couponkill:1.1.0'));
      });
      const relay = await get(['deployment', 'flash-relay']);
      expect(JSON.stringify(relay?.spec)).toContain('{"name":"COUPONKILL_LOG_LEVEL","value":"debug"}');
      await eventually(
        'HPA maxReplicas 8',
        async () => (await get(['hpa.v2.autoscaling', 'flash-write-api']))?.spec?.maxReplicas === 8,
      );
      const s = await eventually('observedGeneration 2', async () => {
        const current = await seckill();
        return current?.status?.observedGeneration === 2 ? current : undefined;
      });
      expect(condition(s, 'Ready')?.observedGeneration).toBe(2);
      expect((await eventReasons('flash')).map((e) => e.message)).toContain('updated Deployment/flash-relay');
    });

    it('deletes the objects of a disabled service', async () => {
      await k([
        'patch',
        'sk',
        'flash',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        '{"spec":{"services":{"readApi":{"enabled":false}}}}',
      ]);
      for (const kind of ['deployment', 'service', 'hpa.v2.autoscaling'])
        await eventually(
          `${kind} flash-read-api gone`,
          async () => (await get([kind, 'flash-read-api'])) === undefined,
        );
      expect(await get(['deployment', 'flash-write-api'])).toBeDefined();
      expect(await get(['hpa.v2.autoscaling', 'flash-write-api'])).toBeDefined();
      const s = await eventually('read API disabled in status', async () => {
        const current = await seckill();
        return current?.status?.services?.readApi?.phase === 'Disabled' ? current : undefined;
      });
      expect(s.status?.readyServices).toMatch(/\/3$/);
      expect((await eventReasons('flash')).map((e) => e.message)).toEqual(
        expect.arrayContaining([
          'deleted Deployment/flash-read-api',
          'deleted HorizontalPodAutoscaler/flash-read-api',
        ]),
      );
    });

    it('leaves a deleted Seckill’s children to the garbage collector, all owned by it', async () => {
      const uid = (await seckill())?.metadata.uid;
      expect((await k(['delete', 'sk', 'flash', '-n', NS])).code).toBe(0);
      await new Promise((r) => setTimeout(r, 1500));
      for (const kind of [
        'deployments',
        'services',
        'hpa.v2.autoscaling',
        'scaledobjects.keda.sh',
        'servicemonitors.monitoring.coreos.com',
      ]) {
        const list = await get<{ items: Obj[] }>([kind, '-l', 'ops.couponkill.io/seckill=flash']);
        for (const child of list?.items ?? [])
          expect(child.metadata.ownerReferences).toEqual([
            expect.objectContaining({ kind: 'Seckill', uid, controller: true }),
          ]);
      }
      // Not recreated, not touched: the operator does not act on a Seckill that is gone.
      expect(await seckill()).toBeUndefined();
    });

    it('fails over to the standby when the leader dies, and hands the Lease back on SIGTERM', async () => {
      // By now the leader has renewed its Lease for longer than renewDeadline (10 s): it still leads, unchallenged.
      expect(await leader?.leader()).toBe(true);
      const held = await kubectlJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>(admin, [
        'lease',
        LEASE,
        '-n',
        'couponkill-system',
      ]);
      expect(held?.spec).toMatchObject({ holderIdentity: 'operator-a', leaseTransitions: 0 });
      await leader?.stop('SIGKILL');
      await eventually('operator-b to lead', () => standby?.leader() ?? Promise.resolve(false), 30_000, 500);
      await k(
        ['apply', '-f', '-'],
        `{"apiVersion":"ops.couponkill.io/v1","kind":"Seckill","metadata":{"name":"second","namespace":"${NS}"},"spec":{"image":"couponkill:1.0.0","services":{"relay":{"enabled":false}}}}`,
      );
      await eventually('operator-b reconciles', async () => {
        const list = await get<{ items: Obj[] }>(['deployments', '-l', 'ops.couponkill.io/seckill=second']);
        return list?.items.length === 3;
      });
      const lease = await kubectlJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>(admin, [
        'lease',
        LEASE,
        '-n',
        'couponkill-system',
      ]);
      expect(lease?.spec.holderIdentity).toBe('operator-b');
      expect(lease?.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
      expect(await standby?.stop('SIGTERM')).toBe(0);
      const released = await kubectlJson<{ spec: { holderIdentity?: string } }>(admin, [
        'lease',
        LEASE,
        '-n',
        'couponkill-system',
      ]);
      expect(released?.spec.holderIdentity ?? '').toBe('');
    });
  });
});
