import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './support/child-process';

/**
 * The service scripts check their ports before starting anything, verify after a start that the started server listens
 * where it should, and say which port (and which variable moves it) when not. Everything here runs on free ports in a
 * temporary COUPONKILL_HOME, so the servers other tests use (Redis 6379, MariaDB 3306, RocketMQ 9876/18081…) are never
 * touched.
 */

const SCRIPTS = resolve(__dirname, '../scripts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a script in its own process group, killed whole if it overruns (a regression must not leave a build running). */
const run = (script: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Run> =>
  new Promise((done) => {
    const started = Date.now();
    const child = spawn('bash', [join(SCRIPTS, script), ...args], {
      // Only what the test gives: no COUPONKILL_* setting of the runner leaks in.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });

/** A plain listener on 127.0.0.1, as another program holding a port would be. */
const hold = (port = 0): Promise<Server> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });
const portOf = (server: Server): number => {
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return address.port;
};
const close = (server: Server): Promise<void> => new Promise((done) => server.close(() => done()));

/** Distinct free ports, one per variable. */
const freePorts = async (variables: readonly string[]): Promise<Record<string, string>> => {
  const ports = new Set<number>();
  while (ports.size < variables.length) ports.add(await freePort());
  const list = [...ports];
  return Object.fromEntries(variables.map((variable, i) => [variable, String(list[i])]));
};

/** The local addresses a port is listened on, from `ss` (iproute2), e.g. ["127.0.0.1"]. */
const listenAddresses = (port: number): string[] =>
  execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (line.trim().split(/\s+/)[3] ?? '').replace(/:\d+$/, ''));

const SERVICES = ['COUPONKILL_REDIS_PORT', 'COUPONKILL_MYSQL_PORT'];
const ROCKETMQ = [
  'COUPONKILL_ROCKETMQ_NAMESRV_PORT',
  'COUPONKILL_ROCKETMQ_GRPC_PORT',
  'COUPONKILL_ROCKETMQ_REMOTING_PORT',
  'COUPONKILL_ROCKETMQ_BROKER_PORT',
  'COUPONKILL_ROCKETMQ_BROKER_HA_PORT',
];
const KUBE = ['COUPONKILL_ETCD_PORT', 'COUPONKILL_ETCD_PEER_PORT', 'COUPONKILL_APISERVER_PORT'];

interface RefusalCase {
  script: string;
  server: string;
  variables: readonly string[];
  /** The variable pointed at the held port. */
  variable: string;
  /** The port the server would open is the variable's value minus this (RocketMQ's broker fast channel: port - 2). */
  offset?: number;
  /** What the script would fetch or build in COUPONKILL_HOME if it went on: must not exist after the refusal. */
  untouched: string[];
}

const REFUSALS: RefusalCase[] = [
  ...[
    ['Redis', 'COUPONKILL_REDIS_PORT'],
    ['MariaDB', 'COUPONKILL_MYSQL_PORT'],
  ].map(([server = '', variable = '']) => ({
    script: 'services.sh',
    server,
    variable,
    variables: SERVICES,
    untouched: ['services/redis', 'services/mariadb'],
  })),
  ...[
    ['name server', 'COUPONKILL_ROCKETMQ_NAMESRV_PORT'],
    ['proxy gRPC', 'COUPONKILL_ROCKETMQ_GRPC_PORT'],
    ['proxy remoting', 'COUPONKILL_ROCKETMQ_REMOTING_PORT'],
    ['broker', 'COUPONKILL_ROCKETMQ_BROKER_PORT'],
    ['broker HA', 'COUPONKILL_ROCKETMQ_BROKER_HA_PORT'],
  ].map(([server = '', variable = '']) => ({
    script: 'rocketmq.sh',
    server,
    variable,
    variables: ROCKETMQ,
    untouched: ['rocketmq', 'services/rocketmq'],
  })),
  {
    script: 'rocketmq.sh',
    server: 'broker fast channel',
    variable: 'COUPONKILL_ROCKETMQ_BROKER_PORT',
    offset: 2,
    variables: ROCKETMQ,
    untouched: ['rocketmq', 'services/rocketmq'],
  },
  ...[
    ['etcd clients', 'COUPONKILL_ETCD_PORT'],
    ['etcd peers', 'COUPONKILL_ETCD_PEER_PORT'],
    ['kube-apiserver', 'COUPONKILL_APISERVER_PORT'],
  ].map(([server = '', variable = '']) => ({
    script: 'kube-env.sh',
    server,
    variable,
    variables: KUBE,
    untouched: ['kube'],
  })),
];

describe('service scripts', () => {
  const home = mkdtempSync(join(tmpdir(), 'couponkill-scripts-'));
  const held: Server[] = [];
  let servicesEnv: Record<string, string> | undefined;

  afterAll(async () => {
    if (servicesEnv) await run('services.sh', ['down'], servicesEnv);
    await Promise.all(held.map(close));
    rmSync(home, { recursive: true, force: true });
  });

  /** Holds a port for the case: the variable's own, or one whose port + offset is also free. */
  const holdFor = async (offset: number): Promise<{ heldPort: number; value: number }> => {
    for (;;) {
      const server = await hold();
      const heldPort = portOf(server);
      if (offset === 0) {
        held.push(server);
        return { heldPort, value: heldPort };
      }
      const above = await hold(heldPort + offset).catch(() => undefined);
      if (above) {
        await close(above);
        held.push(server);
        return { heldPort, value: heldPort + offset };
      }
      await close(server);
    }
  };

  it.each(REFUSALS)(
    '$script refuses to start when the $server port ($variable) is taken, before fetching or building anything',
    async ({ script, variables, variable, offset = 0, untouched }) => {
      const { heldPort, value } = await holdFor(offset);
      const env = { COUPONKILL_HOME: home, ...(await freePorts(variables)), [variable]: String(value) };

      const result = await run(script, ['up'], env);

      expect(result.code).not.toBe(0);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${heldPort} (`);
      expect(lines[0]).toContain(variable);
      expect(lines[0]).toContain(`is taken by another program (pid ${process.pid} `);
      for (const path of untouched) expect(existsSync(join(home, path))).toBe(false);
      expect(result.ms).toBeLessThan(10_000);
    },
  );

  // ss maps sockets to processes from a /proc scan made before it asks the kernel for the sockets, so a server that
  // binds during that scan (one just started, on a busy machine) comes back without its process. Taking that for
  // "another program" failed a whole KEDA start in CI; the shim below plays ss losing the race every time.
  it('knows a socket ss could not name as the server’s own, and another’s as taken', async () => {
    const server = await hold();
    held.push(server);
    const port = portOf(server);
    const shims = mkdtempSync(join(tmpdir(), 'couponkill-ss-'));
    writeFileSync(
      join(shims, 'ss'),
      `#!/bin/bash\n${execFileSync('bash', ['-c', 'command -v ss'], { encoding: 'utf8' }).trim()} "$@" | sed 's/ users:([^ ]*)//'\n`,
      { mode: 0o755 },
    );
    const portState = (ours: number): string =>
      execFileSync(
        'bash',
        [
          '-c',
          `say() { :; }; source "$1"; port_state "$2" host 127.0.0.1 "$3"; echo "$PORT_STATE|$PORT_HOLDER"`,
          '_',
        ].concat([join(SCRIPTS, 'lib/host.sh'), String(port), String(ours)]),
        {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}` },
        },
      ).trim();
    try {
      expect(
        execFileSync(join(shims, 'ss'), ['-Hltnp', `sport = :${String(port)}`], { encoding: 'utf8' }),
      ).not.toContain('pid=');
      expect(portState(process.pid)).toBe('ours|');
      const other = spawn('sleep', ['30']);
      try {
        expect(portState(other.pid ?? 0)).toMatch(new RegExp(`^taken\\|pid ${String(process.pid)} `));
      } finally {
        other.kill();
      }
    } finally {
      rmSync(shims, { recursive: true, force: true });
    }
  });

  it('names the variable whose value is not a port', async () => {
    const result = await run('rocketmq.sh', ['up'], {
      COUPONKILL_HOME: home,
      COUPONKILL_ROCKETMQ_REMOTING_PORT: 'eighteen',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('COUPONKILL_ROCKETMQ_REMOTING_PORT=eighteen is not a TCP port');
  });

  it('starts Redis and MariaDB on 127.0.0.1 only, reports their ports, is idempotent, and stops them', async () => {
    const ports = await freePorts(SERVICES);
    servicesEnv = { COUPONKILL_HOME: home, ...ports };
    const redisPort = Number(ports.COUPONKILL_REDIS_PORT);
    const mysqlPort = Number(ports.COUPONKILL_MYSQL_PORT);

    const up = await run('services.sh', ['up'], servicesEnv, 60_000);
    if (up.code !== 0) throw new Error(`services.sh up exited ${String(up.code)}: ${up.stderr}`);
    expect(up.stderr).toContain(`Redis started on 127.0.0.1:${redisPort}`);
    expect(up.stderr).toContain(`MariaDB started on 127.0.0.1:${mysqlPort}`);
    expect(listenAddresses(redisPort)).toEqual(['127.0.0.1']);
    expect(listenAddresses(mysqlPort)).toEqual(['127.0.0.1']);

    const status = await run('services.sh', ['status'], servicesEnv);
    expect(status.stdout).toMatch(/^redis: running \(pid \d+\)$/m);
    expect(status.stdout).toContain(
      `port ${redisPort} (Redis, COUPONKILL_REDIS_PORT): listening on 127.0.0.1`,
    );
    expect(status.stdout).toContain(
      `port ${mysqlPort} (MariaDB, COUPONKILL_MYSQL_PORT): listening on 127.0.0.1`,
    );

    // Ours already up: recognised by its pid file and the pid that listens, and left alone.
    const again = await run('services.sh', ['up'], servicesEnv);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.ms).toBeLessThan(5_000);

    const down = await run('services.sh', ['down'], servicesEnv, 60_000);
    expect(down.code).toBe(0);
    expect(listenAddresses(redisPort)).toEqual([]);
    expect(listenAddresses(mysqlPort)).toEqual([]);
    const stopped = await run('services.sh', ['status'], servicesEnv);
    expect(stopped.stdout).toContain(`port ${redisPort} (Redis, COUPONKILL_REDIS_PORT): free`);
  }, 90_000);

  it('fails naming the port, its variable and the log when a started server does not listen where it should', async () => {
    const env: Record<string, string> = {
      COUPONKILL_HOME: home,
      ...(await freePorts(SERVICES)),
      COUPONKILL_SERVICES_HOST: '192.0.2.1',
    };
    const redisPort = String(env.COUPONKILL_REDIS_PORT);

    // 192.0.2.1 (TEST-NET-1) is no address of this machine: Redis starts, cannot bind, and exits.
    const result = await run('services.sh', ['up', 'redis'], env);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`192.0.2.1 port ${redisPort} (Redis, COUPONKILL_REDIS_PORT)`);
    expect(result.stderr).toContain(join(home, 'services/redis.log'));
    const status = await run('services.sh', ['status', 'redis'], env);
    expect(status.stdout).toMatch(/^redis: stopped$/m);
  });
});
