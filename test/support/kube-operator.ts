import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLI, freePort } from './child-process';

const ROOT = resolve(__dirname, '../..');

/** The operator runs from dist/ (as in its image); build it when a test runs without scripts/test.sh's build. */
export function ensureBuilt(): void {
  if (existsSync(resolve(ROOT, 'dist/operator/controller/manager.js')) && existsSync(CLI)) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The bindings that give the test's operator identity (user `couponkill-operator-test`, in the kube-env scripts'
 * operator kubeconfig) exactly what the manifests in operator/config/rbac give the operator's ServiceAccount, so a test
 * proves those manifests suffice. Apply after operator/config/rbac and operator/config/manager/namespace.yaml.
 */
export const OPERATOR_TEST_BINDINGS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: couponkill-operator-test }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: couponkill-operator }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: couponkill-operator-test }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: couponkill-operator-test, namespace: couponkill-system }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: couponkill-operator-leader-election }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: couponkill-operator-test }]
`;

export interface RunningOperator {
  identity: string;
  metricsUrl: string;
  process: ChildProcess;
  /** What it logged to stderr/stdout (for failure messages). */
  output(): string;
  leader(): Promise<boolean>;
  /** SIGTERM (graceful: releases the Lease) or SIGKILL (crash: the Lease must expire); resolves on exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startOperator(options: {
  kubeconfig: string;
  identity: string;
  namespace: string;
  leaseNamespace: string;
  leaseName: string;
}): Promise<RunningOperator> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--no-dotenv',
      'operator',
      '--kubeconfig',
      options.kubeconfig,
      '--namespace',
      options.namespace,
      '--leader-election-namespace',
      options.leaseNamespace,
      '--leader-election-id',
      options.leaseName,
      '--identity',
      options.identity,
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      String(port),
      '--lag-poll-seconds',
      '1',
      '--log-level',
      process.env.TEST_LOG_LEVEL ?? 'info',
    ],
    { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const metricsUrl = `http://127.0.0.1:${String(port)}`;
  const health = async (): Promise<{ leader: boolean } | undefined> => {
    try {
      const response = await fetch(`${metricsUrl}/healthz`);
      return response.ok ? ((await response.json()) as { leader: boolean }) : undefined;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; (await health()) === undefined; i++) {
    if (i > 150 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`operator ${options.identity} did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    identity: options.identity,
    metricsUrl,
    process: child,
    output: () => output,
    leader: async () => (await health())?.leader ?? false,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
