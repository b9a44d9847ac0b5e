import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/kube-env.sh');

export interface KubeEnv {
  /** The admin's kubeconfig (system:masters). */
  adminKubeconfig: string;
  /** A user with no rights but what a test binds to it (to prove the RBAC manifests suffice). */
  operatorKubeconfig: string;
  /** Whether this process started the servers (then it stops them too). */
  startedHere: boolean;
  stop(): void;
}

/**
 * A plain instance of its own (scripts/kube-env.sh honours these variables): a test file that starts and stops it
 * never races another file over the shared instance, whose starter stops it under the others.
 */
export interface KubeInstance {
  /** Where the instance keeps its etcd data, PKI, tokens and kubeconfigs. */
  runDir: string;
  etcdPort: number;
  etcdPeerPort: number;
  apiserverPort: number;
}

/** The chart tests' instance (test/chart.int.ts): ports clear of the plain (23790, 23800, 16443) and KEDA (17xxx) ones. */
export const CHART_INSTANCE: KubeInstance = {
  runDir: join(
    process.env.COUPONKILL_KUBE_CACHE ??
      join(process.env.COUPONKILL_HOME ?? join(homedir(), '.cache/couponkill'), 'kube'),
    'run-chart',
  ),
  etcdPort: 23791,
  etcdPeerPort: 23801,
  apiserverPort: 16444,
};

const instanceEnv = (instance: KubeInstance | undefined): NodeJS.ProcessEnv =>
  instance
    ? {
        ...process.env,
        COUPONKILL_KUBE_RUN_DIR: instance.runDir,
        COUPONKILL_ETCD_PORT: String(instance.etcdPort),
        COUPONKILL_ETCD_PEER_PORT: String(instance.etcdPeerPort),
        COUPONKILL_APISERVER_PORT: String(instance.apiserverPort),
      }
    : process.env;

/** What `kube-env.sh env` exports: kubeconfigs, the CRD dir, the Helm and promtool binaries, Helm's homes. */
export const scriptEnv = (instance?: KubeInstance): Record<string, string> => {
  const env: Record<string, string> = {};
  const output = execFileSync('bash', [SCRIPT, 'env'], { encoding: 'utf8', env: instanceEnv(instance) });
  for (const line of output.split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
};

/**
 * A real kube-apiserver + etcd on 127.0.0.1 (scripts/kube-env.sh; `build` ran in scripts/test.sh, so this is a few
 * seconds; on a machine where it did not, `up` builds first, which takes minutes). Without `instance`, the shared
 * plain instance; with it, that instance of its own (e.g. CHART_INSTANCE).
 */
export function startKubeEnv(instance?: KubeInstance): KubeEnv {
  const env = scriptEnv(instance);
  const adminKubeconfig = env.KUBECONFIG ?? '';
  const operatorKubeconfig = env.COUPONKILL_KUBE_OPERATOR_KUBECONFIG ?? '';
  const wasUp =
    existsSync(adminKubeconfig) && kubectlSync(adminKubeconfig, ['get', '--raw', '/readyz']).code === 0;
  execFileSync('bash', [SCRIPT, 'up'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: instanceEnv(instance),
  });
  return {
    adminKubeconfig,
    operatorKubeconfig,
    startedHere: !wasUp,
    stop() {
      if (!wasUp) execFileSync('bash', [SCRIPT, 'down'], { stdio: 'inherit', env: instanceEnv(instance) });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectlSync(kubeconfig: string, args: string[]): KubectlResult {
  try {
    const stdout = execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs kubectl as a child process, optionally feeding it a manifest on stdin. */
export function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<KubectlResult> {
  return new Promise((done) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** kubectl get … -o json, parsed; undefined when the object does not exist. */
export async function kubectlJson<T>(kubeconfig: string, args: string[]): Promise<T | undefined> {
  const result = await kubectl(kubeconfig, ['get', ...args, '-o', 'json']);
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(' ')}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

interface KubeconfigCredentials {
  server: string;
  token: string;
}

/** The server and bearer token of a kubeconfig this repo's script wrote (one cluster, one user). */
function credentials(kubeconfig: string): KubeconfigCredentials {
  const text = readFileSync(kubeconfig, 'utf8');
  const server = /server: (\S+)/.exec(text)?.[1];
  const token = /token: (\S+)/.exec(text)?.[1];
  if (!server || !token) throw new Error(`no server or token in ${kubeconfig}`);
  return { server, token };
}

/**
 * A raw API call, for what kubectl 1.20 cannot do (patching a Deployment's status the way a kubelet and the
 * deployment controller would; the test server runs neither). The test server's certificate is self-signed.
 */
export function kubeApiRequest(
  kubeconfig: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/merge-patch+json',
): Promise<{ status: number; body: unknown }> {
  const { server, token } = credentials(kubeconfig);
  const url = new URL(path, server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method,
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON; keep the text
          }
          done({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/** Polls until `check` returns a value (not undefined/false), or fails with the last reason after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
