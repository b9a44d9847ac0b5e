import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Config } from '../../infra/config/config';

export const CLI = resolve(__dirname, '../../dist/bin/cli.js');

/**
 * A port free now, for a server a test starts a moment later: picked outside the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, 32768–60999 by default), where the local port of any outgoing connection of a test
 * running beside it could take it before the server binds (a port the kernel hands out for `listen(0)` is in that
 * range).
 */
export const freePort = async (): Promise<number> => {
  for (;;) {
    // 24000–27999 holds none of the fixed ports of the service scripts (etcd 23790, bench 28000–28999, …).
    const port = 24_000 + Math.floor(Math.random() * 4_000);
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
    if (free) return port;
  }
};

/** The environment that reproduces a test's config in a child process. */
export const envOf = (config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  COUPONKILL_HOST: '127.0.0.1',
  COUPONKILL_LOG_LEVEL: 'warn',
  COUPONKILL_REDIS_URL: config.redis.url,
  COUPONKILL_REDIS_KEY_PREFIX: config.redis.keyPrefix,
  COUPONKILL_EVENT_STORE_URL: config.eventStore.url,
  COUPONKILL_JWT_SECRET: config.jwt.secret,
  COUPONKILL_SCRYPT_LOG2_COST: String(config.scryptLog2Cost),
  COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: String(config.admission.seckill.buyerClicksPerSecond),
  COUPONKILL_SECKILL_COUPON_ADMISSIONS_PER_SECOND: String(
    config.admission.seckill.couponAdmissionsPerSecond ?? 0,
  ),
  COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: String(config.admission.reads.buyerRequestsPerSecond),
  ...extra,
});

export interface CliRun {
  /** Written to the CLI's stdin, which is then closed (default: stdin closed at once). */
  readonly stdin?: string;
  readonly cwd?: string;
  /** Read env files as a user's CLI does (default: --no-dotenv, so that a stray .env cannot change a test). */
  readonly dotenv?: boolean;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI (npm run build) and collects its output. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv, options: CliRun = {}): Promise<CliResult> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...(options.dotenv ? [] : ['--no-dotenv']), ...args], {
      env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });

/**
 * Every server a test file started and that has not exited. A test that fails half-way never reaches its own stop, and
 * a server left running keeps jest from exiting (it holds the worker's pipes): the integration project's setup file
 * (reap-servers.ts) kills what is left after each file.
 */
const started = new Set<ChildProcess>();

/** Starts `cli.js <args>` as a server this file owns until it exits. */
export const spawnServer = (
  args: string[],
  env: NodeJS.ProcessEnv,
  stdout: 'ignore' | 'pipe',
): ChildProcess => {
  const child = spawn(process.execPath, [CLI, '--no-dotenv', ...args], {
    env,
    stdio: ['ignore', stdout, 'inherit'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
};

/** SIGKILLs every server started here that is still running, and waits for them to exit. */
export const reapServers = async (): Promise<void> => {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
};

/**
 * Waits until `healthUrl` answers 2xx. A server connects to its bus and leases partitions before it is healthy:
 * seconds, tens of them on a loaded CI machine (15 s was not enough there), so it gets 60 s. Returns false when it
 * never did, or exited first.
 */
const becameHealthy = async (child: ChildProcess, healthUrl: string): Promise<boolean> => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(healthUrl)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

export const startCliServer = async (
  args: string[],
  env: NodeJS.ProcessEnv,
  healthUrl: string,
): Promise<ChildProcess> => {
  const child = spawnServer(args, env, 'ignore');
  if (await becameHealthy(child, healthUrl)) return child;
  child.kill('SIGKILL');
  throw new Error(`server did not come up at ${healthUrl}`);
};

export interface LoggedServer {
  readonly child: ChildProcess;
  /** Every JSON log line the server wrote so far, parsed. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Like startCliServer, keeping the server's log (stdout, one JSON object per line) for the test to read. */
export const startLoggedCliServer = async (
  args: string[],
  env: NodeJS.ProcessEnv,
  healthUrl: string,
): Promise<LoggedServer> => {
  const child = spawnServer(args, env, 'pipe');
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  if (await becameHealthy(child, healthUrl)) return { child, logs, stop };
  await stop();
  throw new Error(`server did not come up at ${healthUrl}`);
};
