import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, kubectlJson } from './kube-env';

const SCRIPT = join(resolve(__dirname, '../..'), 'scripts/kube-env.sh');

/**
 * The KEDA instance of scripts/kube-env.sh: its own etcd and kube-apiserver (with the aggregation layer), plus
 * kube-controller-manager (HPA, deployment and replicaset controllers), the KEDA operator and the KEDA metrics adapter,
 * all local processes. Separate from the plain instance test/operator.int.ts uses, whose tests rely on no controller
 * acting on their objects.
 */
export interface KedaEnv {
  /** The admin's kubeconfig (system:masters). */
  adminKubeconfig: string;
  /** A user with no rights but what a test binds to it (to prove the operator's RBAC manifests suffice). */
  operatorKubeconfig: string;
  /** Whether this process started the servers (then it stops them too). */
  startedHere: boolean;
  stop(): void;
}

/**
 * Builds (or finds cached) kube-controller-manager and KEDA's operator and metrics adapter: `keda-build`, which
 * scripts/test.sh runs before the tests, so here it only checks. Returns why they cannot be had, or undefined.
 * Synchronous so that a test file can decide at load time whether to skip.
 */
export function kedaUnavailableReason(): string | undefined {
  try {
    execFileSync('bash', [SCRIPT, 'keda-build'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    return `scripts/kube-env.sh keda-build failed: ${tail || String(error)}`;
  }
}

/** `keda-env`'s exports (KUBECONFIG, COUPONKILL_KUBE_OPERATOR_KUBECONFIG, …). */
function scriptEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of execFileSync('bash', [SCRIPT, 'keda-env'], { encoding: 'utf8' }).split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

/**
 * Starts the KEDA instance, or reuses ours when it already runs (`keda-up` waits until the external metrics
 * APIService is Available). A few seconds when built; minutes on a machine where `keda-build` never ran.
 */
export function startKedaEnv(): KedaEnv {
  const env = scriptEnv();
  const adminKubeconfig = env.KUBECONFIG ?? '';
  const operatorKubeconfig = env.COUPONKILL_KUBE_OPERATOR_KUBECONFIG ?? '';
  const wasUp = existsSync(adminKubeconfig) && kedaUp();
  execFileSync('bash', [SCRIPT, 'keda-up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return {
    adminKubeconfig,
    operatorKubeconfig,
    startedHere: !wasUp,
    stop() {
      if (!wasUp) execFileSync('bash', [SCRIPT, 'keda-down'], { stdio: 'inherit' });
    },
  };
}

/** Whether every server of the KEDA instance runs (from `keda-status`). */
function kedaUp(): boolean {
  const status = execFileSync('bash', [SCRIPT, 'keda-status'], { encoding: 'utf8' });
  const servers = status.split('\n').filter((line) => /^\S+: /.test(line));
  return servers.length === 5 && servers.every((line) => line.includes(': running'));
}

export interface DeploymentObject {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number };
}

/** Waits until a Deployment's spec.replicas is `replicas` (what KEDA and the HPA set); returns the Deployment. */
export function waitForReplicas(
  kubeconfig: string,
  namespace: string,
  name: string,
  replicas: number,
  timeoutMs = 60_000,
): Promise<DeploymentObject> {
  let last: number | undefined;
  return eventually(
    `Deployment ${namespace}/${name} at ${String(replicas)} replicas`,
    async () => {
      const deployment = await kubectlJson<DeploymentObject>(kubeconfig, [
        'deployment',
        name,
        '-n',
        namespace,
      ]);
      last = deployment?.spec?.replicas;
      if (last !== replicas) throw new Error(`spec.replicas is ${String(last)}`);
      return deployment;
    },
    timeoutMs,
    500,
  );
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The autoscaling/v2 HPA fields the tests read. */
export interface HpaObject {
  metadata: { name: string };
  spec: {
    minReplicas?: number;
    maxReplicas: number;
    scaleTargetRef: { kind: string; name: string };
    metrics?: {
      type: string;
      external?: {
        metric: { name: string; selector?: { matchLabels?: Record<string, string> } };
        target: { type: string; averageValue?: string; value?: string };
      };
    }[];
  };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: {
      type: string;
      external?: { metric: { name: string }; current: { averageValue?: string; value?: string } };
    }[];
    conditions?: Condition[];
  };
}

/**
 * Waits until an HPA exists and `check` accepts it (throw from `check` to say why not; the last reason is in the
 * timeout's message); returns the HPA.
 */
export function waitForHpa(
  kubeconfig: string,
  namespace: string,
  name: string,
  check: (hpa: HpaObject) => boolean | undefined = () => true,
  timeoutMs = 60_000,
): Promise<HpaObject> {
  return eventually(
    `HPA ${namespace}/${name}`,
    async () => {
      const hpa = await kubectlJson<HpaObject>(kubeconfig, [
        'horizontalpodautoscalers.v2.autoscaling',
        name,
        '-n',
        namespace,
      ]);
      if (!hpa) throw new Error('not found');
      return check(hpa) ? hpa : undefined;
    },
    timeoutMs,
    500,
  );
}

/** A condition's status ("True", "False", "Unknown"), or undefined when the object has no such condition. */
export const conditionStatus = (conditions: Condition[] | undefined, type: string): string | undefined =>
  conditions?.find((c) => c.type === type)?.status;
