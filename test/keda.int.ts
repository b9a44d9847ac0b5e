import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  conditionStatus,
  kedaUnavailableReason,
  startKedaEnv,
  waitForHpa,
  waitForReplicas,
  type Condition,
  type KedaEnv,
} from './support/keda-env';
import { eventually, kubectl, kubectlJson } from './support/kube-env';
import {
  ensureBuilt,
  OPERATOR_TEST_BINDINGS,
  startOperator,
  type RunningOperator,
} from './support/kube-operator';
import { startCouponKillLagSource, type LagSource } from './support/lag-source';

/**
 * The projector's autoscaling end to end, with a real KEDA: the CouponKill operator (its own process, least-privilege
 * identity) turns a Seckill into a ScaledObject; the KEDA operator polls the lag URL, activates the projector (0 ↔ 1)
 * and creates an HPA; kube-controller-manager's HPA controller reads the lag through the KEDA metrics adapter (APIService
 * external.metrics.k8s.io) and scales 1 → N. All against scripts/kube-env.sh's KEDA instance: no kubelet, so the Pods
 * the replicaset controller creates stay Pending, which is all KEDA and the HPA need (the scale subresource and
 * status.replicas).
 */
const ROOT = resolve(__dirname, '..');
const SCALED_OBJECT = 'flash-projector';
const HPA = `keda-hpa-${SCALED_OBJECT}`;
/** Lag per projector replica (the HPA's AverageValue target) and the lag that wakes a parked projector. */
const THRESHOLD = 100;
const ACTIVATION = 10;
const MAX_REPLICAS = 5;

const unavailable = kedaUnavailableReason();
if (unavailable && process.env.CI === 'true')
  throw new Error(`KEDA must run in CI, but its binaries cannot be built: ${unavailable}`);
if (unavailable) console.info(`KEDA autoscaling: skipped: ${unavailable}`);

interface ScaledObject {
  spec: { triggers: { type: string; metadata: Record<string, string> }[] };
  status?: { conditions?: Condition[]; externalMetricNames?: string[]; hpaName?: string };
}

/** A Kubernetes quantity as a number: `87500m` → 87.5, `90` → 90. */
const quantity = (value: string | undefined): number =>
  value === undefined ? Number.NaN : value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);

/** The whole suite, against a real CouponKill whose projectors the test stops (lag grows) and starts (lag drains). */
function describeKedaScaling(makeLagSource: () => Promise<LagSource>): void {
  describe('KEDA scales the projector on the read API’s projection lag', () => {
    const suffix = randomBytes(3).toString('hex');
    const NS = `ck-keda-${suffix}`;
    let env: KedaEnv;
    let admin: string;
    let lag: LagSource;
    let operator: RunningOperator | undefined;
    const k = async (args: string[], stdin?: string) => {
      const result = await kubectl(admin, args, stdin);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    const scaledObject = () =>
      kubectlJson<ScaledObject>(admin, ['scaledobjects.keda.sh', SCALED_OBJECT, '-n', NS]);
    const scaledObjectCondition = async (type: string, status: string) =>
      eventually(
        `ScaledObject ${type}=${status}`,
        async () => {
          const so = await scaledObject();
          const actual = conditionStatus(so?.status?.conditions, type);
          if (actual !== status) throw new Error(`${type} is ${String(actual)}`);
          return so;
        },
        60_000,
        500,
      );

    beforeAll(async () => {
      ensureBuilt();
      env = startKedaEnv();
      admin = env.adminKubeconfig;
      lag = await makeLagSource();
      await k(['apply', '-f', resolve(ROOT, 'operator/config/crd/seckills.ops.couponkill.io.yaml')]);
      await k([
        'wait',
        '--for',
        'condition=Established',
        '--timeout',
        '30s',
        'crd/seckills.ops.couponkill.io',
      ]);
      await k(['apply', '-f', resolve(ROOT, 'operator/config/manager/namespace.yaml')]);
      await k(['apply', '-f', resolve(ROOT, 'operator/config/rbac')]);
      await k(['create', 'namespace', NS]);
      await k(['apply', '-f', '-'], OPERATOR_TEST_BINDINGS);
      operator = await startOperator({
        kubeconfig: env.operatorKubeconfig,
        identity: `keda-test-${suffix}`,
        namespace: NS,
        leaseNamespace: 'couponkill-system',
        leaseName: `couponkill-operator-${suffix}`,
      });
      // Seconds, not KEDA's defaults (30 s polling, 5 min cooldown), so that each step takes a few seconds.
      await k(
        ['apply', '-f', '-'],
        `
apiVersion: ops.couponkill.io/v1
kind: Seckill
metadata: { name: flash, namespace: ${NS} }
spec:
  image: couponkill:1.0.0
  services: { writeApi: { enabled: false }, relay: { enabled: false } }
  scaling:
    keda:
      enabled: true
      minReplicaCount: 0
      maxReplicaCount: ${String(MAX_REPLICAS)}
      lagThreshold: ${String(THRESHOLD)}
      activationLagThreshold: ${String(ACTIVATION)}
      pollingInterval: 1
      cooldownPeriod: 5
      lagUrl: '${lag.url}'
`,
      );
    }, 1_200_000);

    afterAll(async () => {
      await operator?.stop('SIGTERM');
      await lag.close();
      // No namespace controller: the namespace would stay Terminating, so leave it (keda-down drops etcd's data).
      env.stop();
    });

    it('the operator’s ScaledObject becomes Ready, inactive at lag 0', async () => {
      const so = await scaledObjectCondition('Ready', 'True');
      expect(so.spec.triggers).toEqual([
        expect.objectContaining({
          type: 'metrics-api',
          metadata: expect.objectContaining({
            url: lag.url,
            valueLocation: 'maxLag',
            targetValue: String(THRESHOLD),
            activationTargetValue: String(ACTIVATION),
          }),
        }),
      ]);
      await scaledObjectCondition('Active', 'False');
    });

    it('parks the projector at minReplicaCount (0) while nothing is behind', async () => {
      await waitForReplicas(admin, NS, SCALED_OBJECT, 0);
    });

    it('KEDA’s HPA carries the lag metric and the threshold', async () => {
      const so = await scaledObject();
      const metricName = so?.status?.externalMetricNames?.[0];
      expect(metricName).toMatch(/maxLag/i);
      const hpa = await waitForHpa(admin, NS, HPA);
      expect(hpa.spec).toMatchObject({
        minReplicas: 1,
        maxReplicas: MAX_REPLICAS,
        scaleTargetRef: { kind: 'Deployment', name: SCALED_OBJECT },
        metrics: [
          {
            type: 'External',
            external: {
              metric: {
                name: metricName,
                selector: { matchLabels: { 'scaledobject.keda.sh/name': SCALED_OBJECT } },
              },
              target: { type: 'AverageValue', averageValue: String(THRESHOLD) },
            },
          },
        ],
      });
    });

    it('lag above the activation threshold wakes the projector: KEDA scales 0 → 1', async () => {
      expect(await lag.raise(ACTIVATION + 5)).toBeLessThan(THRESHOLD);
      await scaledObjectCondition('Active', 'True');
      await waitForReplicas(admin, NS, SCALED_OBJECT, 1);
    });

    let raised = 0;
    it('the HPA reads the lag through the metrics adapter and scales 1 → ceil(lag / threshold)', async () => {
      raised = await lag.raise(350);
      const want = Math.min(MAX_REPLICAS, Math.ceil(raised / THRESHOLD));
      const deployment = await waitForReplicas(admin, NS, SCALED_OBJECT, want, 90_000);
      expect(deployment.spec?.replicas).toBe(want);
      const hpa = await waitForHpa(admin, NS, HPA, (h) => {
        const current = h.status?.currentMetrics?.[0]?.external?.current.averageValue;
        if (h.status?.currentReplicas !== want || current === undefined)
          throw new Error(
            `currentReplicas ${String(h.status?.currentReplicas)}, averageValue ${String(current)}`,
          );
        return true;
      });
      // The adapter's figure is the lag itself; the HPA shows it per current replica.
      expect(quantity(hpa.status?.currentMetrics?.[0]?.external?.current.averageValue)).toBeCloseTo(
        raised / want,
        2,
      );
      expect(conditionStatus(hpa.status?.conditions, 'ScalingActive')).toBe('True');
      expect(conditionStatus(hpa.status?.conditions, 'AbleToScale')).toBe('True');
      const metricName = hpa.spec.metrics?.[0]?.external?.metric.name ?? '';
      const raw = await k([
        'get',
        '--raw',
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/${metricName}?labelSelector=scaledobject.keda.sh%2Fname%3D${SCALED_OBJECT}`,
      ]);
      const values = JSON.parse(raw) as { items: { metricName: string; value: string }[] };
      expect(values.items).toEqual([expect.objectContaining({ metricName, value: String(raised) })]);
    });

    it('kubectl get sk shows the lag', async () => {
      await eventually(`status.projectionLag ${String(raised)}`, async () => {
        const sk = await kubectlJson<{ status?: { projectionLag?: number } }>(admin, [
          'sk',
          'flash',
          '-n',
          NS,
        ]);
        return sk?.status?.projectionLag === raised;
      });
      const table = await k(['get', 'sk', 'flash', '-n', NS]);
      const [header, row] = table.split('\n').map((line) => line.trim().split(/\s+/));
      expect(header).toEqual(['NAME', 'PHASE', 'READY', 'LAG', 'AGE']);
      expect(row?.[0]).toBe('flash');
      expect(row?.[3]).toBe(String(raised));
    });

    it('lag back to 0: KEDA parks the projector again after the cooldown', async () => {
      await lag.drain();
      await scaledObjectCondition('Active', 'False');
      await waitForReplicas(admin, NS, SCALED_OBJECT, 0);
    });
  });
}

if (unavailable)
  describe.skip(`KEDA scales the projector on projection lag (skipped: ${unavailable})`, () => undefined);
else describeKedaScaling(() => startCouponKillLagSource());
