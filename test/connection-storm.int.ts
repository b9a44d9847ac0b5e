import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { envOf, freePort, startCliServer } from './support/child-process';
import { httpBytes, rawRequest } from './support/raw-http';
import { createTestEnv, type TestEnv } from './support/test-env';

/** The backlog of a listening socket: for a LISTEN socket, `ss` reports it as Send-Q. */
const backlogOf = (port: number): number =>
  Number(
    execFileSync('ss', ['-Hltn', `sport = :${String(port)}`], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)[2],
  );

/** The kernel's count of connections dropped because a listen queue was full (`TcpExtListenOverflows`). */
const listenOverflows = (): number => {
  const netstat = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = netstat.find((line) => line.startsWith('TcpExt:'))?.split(/\s+/) ?? [];
  const values = netstat.filter((line) => line.startsWith('TcpExt:'))[1]?.split(/\s+/) ?? [];
  return Number(values[header.indexOf('ListenOverflows')] ?? 0);
};

/**
 * A sale's opening second is a connection storm: thousands of buyers connect at once. Every listener takes a
 * backlog of the kernel's `net.core.somaxconn` (configurable), so the kernel queues the storm instead of overflowing
 * and resetting connections.
 */
describe('the opening second of a sale: thousands of connections at once', () => {
  let env: TestEnv;
  let server: ChildProcess;
  const ports = { api: 0, ops: 0 };

  beforeAll(async () => {
    env = createTestEnv();
    ports.api = await freePort();
    ports.ops = await freePort();
    server = await startCliServer(
      ['write-api'],
      envOf(env.config, {
        COUPONKILL_WRITE_API_PORT: String(ports.api),
        COUPONKILL_OPS_PORT: String(ports.ops),
      }),
      `http://127.0.0.1:${String(ports.ops)}/readyz`,
    );
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await env.cleanup();
  });

  it('listens with the kernel’s own limit as its backlog, not Node’s 511', () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(backlogOf(ports.api)).toBe(Math.max(somaxconn, 511));
    expect(backlogOf(ports.ops)).toBe(Math.max(somaxconn, 511));
  });

  it('answers 4,000 connections opened at once, none of them reset or dropped by the kernel', async () => {
    const storm = 4000;
    const overflowsBefore = listenOverflows();
    const answers = await Promise.allSettled(
      Array.from({ length: storm }, () => rawRequest(ports.api, httpBytes('GET', '/healthz'), 60_000)),
    );
    const failures = answers.flatMap((a) => (a.status === 'rejected' ? [String(a.reason)] : []));
    expect(failures).toEqual([]);
    expect(answers.every((a) => a.status === 'fulfilled' && a.value.status === 200)).toBe(true);
    // With Node's 511 the kernel counted thousands of these for one storm (and reset connections once it gave up).
    expect(listenOverflows() - overflowsBefore).toBe(0);
  });

  it('takes a configured backlog', async () => {
    const [api, ops] = [await freePort(), await freePort()];
    const configured = await startCliServer(
      ['write-api'],
      envOf(env.config, {
        COUPONKILL_WRITE_API_PORT: String(api),
        COUPONKILL_OPS_PORT: String(ops),
        COUPONKILL_LISTEN_BACKLOG: '1234',
      }),
      `http://127.0.0.1:${String(ops)}/healthz`,
    );
    try {
      expect(backlogOf(api)).toBe(1234);
    } finally {
      configured.kill('SIGTERM');
      await new Promise((r) => configured.once('exit', r));
    }
  });
});
