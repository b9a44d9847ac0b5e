import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { scriptEnv, type KubeInstance } from './kube-env';

const ROOT = resolve(__dirname, '../..');

/** The chart under test. */
export const CHART = resolve(ROOT, 'deploy/helm/couponkill');

/** The kube-apiserver version the test servers run: `helm template` checks the chart's kubeVersion against it. */
export const KUBE_VERSION = '1.30.14';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Kubernetes object as rendered or read back (only the parts the tests look at are typed). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: unknown[];
}

export interface Helm {
  /** Runs the Helm CLI against the admin kubeconfig; never throws on a non-zero exit. */
  run(args: string[]): Promise<CommandResult>;
  /** `helm template` → the rendered objects; throws with Helm's stderr when rendering fails. */
  render(release: string, namespace: string, args?: string[]): Promise<KubeObject[]>;
}

/**
 * The Helm CLI that scripts/kube-env.sh builds (`tools-build`, cached under ~/.cache/couponkill/kube/bin), with Helm's
 * homes inside that cache so a test never reads or writes ~/.config/helm. Throws when the binary is missing.
 */
export function helmFor(kubeconfig: string, instance?: KubeInstance): Helm {
  const env = scriptEnv(instance);
  const bin = env.COUPONKILL_HELM_BIN ?? '';
  if (!existsSync(bin))
    throw new Error(`no Helm at '${bin}': run bash scripts/kube-env.sh tools-build (about 3 min cold)`);
  const childEnv = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: env.HELM_CACHE_HOME,
    HELM_CONFIG_HOME: env.HELM_CONFIG_HOME,
    HELM_DATA_HOME: env.HELM_DATA_HOME,
  };
  const run = (args: string[]): Promise<CommandResult> =>
    new Promise((done) => {
      execFile(
        bin,
        args,
        { encoding: 'utf8', env: childEnv, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  return {
    run,
    async render(release, namespace, args = []) {
      const result = await run([
        'template',
        release,
        CHART,
        '-n',
        namespace,
        '--kube-version',
        KUBE_VERSION,
        ...args,
      ]);
      if (result.code !== 0) throw new Error(`helm template ${args.join(' ')}: ${result.stderr}`);
      return parseObjects(result.stdout);
    },
  };
}

/** Every non-empty document of a multi-document YAML stream. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}
