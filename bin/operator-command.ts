import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createLogger } from '../infra/logging/logger';

interface OperatorOptions {
  kubeconfig?: string;
  namespace?: string;
  allNamespaces: boolean;
  leaderElect: boolean;
  leaderElectionId: string;
  leaderElectionNamespace?: string;
  identity?: string;
  metricsHost: string;
  metricsPort: number;
  workers: number;
  resyncSeconds: number;
  lagPollSeconds: number;
  logLevel: string;
}

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace the operator runs in: in a pod, its service account's; outside, the kubeconfig's default. */
function ownNamespace(): string | undefined {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const wholeNumber = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`must be from ${min} to ${max}`);
  return n;
};

/** `couponkill operator`: reconciles Seckill resources (see operator/README.md). */
export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description('run the Kubernetes operator that reconciles Seckill resources (ops.couponkill.io/v1)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option(
      '--namespace <ns>',
      'watch only this namespace (default: the operator’s own, else every namespace)',
    )
    .option('--all-namespaces', 'watch every namespace', false)
    .option('--no-leader-elect', 'act without a leader Lease (only with one replica)')
    .option('--leader-election-id <name>', 'name of the leader Lease', 'couponkill-operator')
    .option('--leader-election-namespace <ns>', 'namespace of the leader Lease (default: own or "default")')
    .option('--identity <id>', 'this replica’s identity in the Lease (default: host name + random suffix)')
    .option('--metrics-host <host>', 'address of /healthz, /readyz and /metrics', '0.0.0.0')
    .option('--metrics-port <port>', 'port of /healthz, /readyz and /metrics', wholeNumber(0, 65535), 8084)
    .option('--workers <count>', 'Seckills reconciled concurrently', wholeNumber(1, 32), 2)
    .option(
      '--resync-seconds <s>',
      'reconcile every Seckill at least this often',
      wholeNumber(5, 86_400),
      300,
    )
    .option(
      '--lag-poll-seconds <s>',
      'how often the projection lag in the status is refreshed',
      wholeNumber(1, 3600),
      30,
    )
    .addOption(
      new Option('--log-level <level>', 'fatal|error|warn|info|debug').default(
        process.env.COUPONKILL_LOG_LEVEL ?? 'info',
        'COUPONKILL_LOG_LEVEL, info',
      ),
    )
    .action(async (options: OperatorOptions) => {
      // Loaded here: the client library is an ES module and only this command needs it.
      const { KubeApi } = await import('../operator/runtime/kube-api.js');
      const { OperatorManager } = await import('../operator/controller/manager.js');
      const log = createLogger(options.logLevel, 'operator');
      const own = ownNamespace();
      const namespace = options.allNamespaces ? undefined : (options.namespace ?? own);
      const identity = options.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
      const manager = new OperatorManager(
        KubeApi.fromEnvironment(options.kubeconfig),
        {
          namespace,
          leaderElection: options.leaderElect,
          leaseName: options.leaderElectionId,
          leaseNamespace: options.leaderElectionNamespace ?? own ?? namespace ?? 'default',
          identity,
          metricsHost: options.metricsHost,
          metricsPort: options.metricsPort,
          workers: options.workers,
          resyncMs: options.resyncSeconds * 1000,
          lagPollMs: options.lagPollSeconds * 1000,
        },
        log,
        () => {
          // Like controller-runtime: a replica that lost the Lease exits and lets its Deployment restart it clean.
          log.error('lost leadership; exiting');
          setTimeout(() => process.exit(1), 100).unref();
        },
      );
      await manager.start();
      log.info({ identity, namespace: namespace ?? '(all)', port: options.metricsPort }, 'operator started');
      const shutdown = (): void => {
        log.info('shutting down');
        void manager.stop().then(() => {
          log.flush();
          setTimeout(() => process.exit(0), 50);
        });
      };
      process.once('SIGTERM', shutdown).once('SIGINT', shutdown);
    });
}
