import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { envOf, freePort, startCliServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { createTestEnv, type TestEnv } from './support/test-env';

/** One request's fate: when it ended (ms since the epoch) and its status, or the socket error's code. */
interface Outcome {
  readonly at: number;
  readonly status?: number;
  readonly error?: string;
  readonly connection?: string;
}

const send = (url: URL, method: string, agent: http.Agent | false, token?: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const req = http.request(
      url,
      { method, agent, headers: token ? { authorization: `Bearer ${token}`, 'content-length': 0 } : {} },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ at: Date.now(), status: res.statusCode ?? 0, connection: res.headers.connection }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ at: Date.now(), error: error.code ?? error.message }),
    );
    req.end();
  });

const SHUTDOWN_DELAY_MS = 1500;

/**
 * Kubernetes takes a terminating pod out of its Service's endpoints while it sends SIGTERM, not before; a process that
 * closed its listener at once would refuse the requests still routed to it. On SIGTERM the process fails /readyz
 * first, keeps serving for COUPONKILL_SHUTDOWN_DELAY_MS (asking keep-alive clients to reconnect elsewhere), and only
 * then closes its listener.
 */
describe('a write-api drains on SIGTERM', () => {
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
        COUPONKILL_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      }),
      `http://127.0.0.1:${String(ports.ops)}/readyz`,
    );
  });
  afterAll(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await env.cleanup();
  });

  it('under load: readiness goes false first, nothing is refused before it, then the process exits 0', async () => {
    const api = `http://127.0.0.1:${String(ports.api)}`;
    const created = await request(api, 'POST', '/api/v1/coupons', {
      token: tokenFor('admin-user', 'admin'),
      body: {
        name: 'Drain',
        faceValueCents: 100,
        totalStock: 100_000,
        perUserLimit: 1,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    const seckill = new URL(`${api}/api/v1/seckill/${String(created.body.couponId)}`);
    const health = new URL(`${api}/healthz`);
    const readyz = new URL(`http://127.0.0.1:${String(ports.ops)}/readyz`);

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const load = { running: true };
    void exited.then(() => (load.running = false));
    const outcomes: Outcome[] = [];
    const keptAlive: Outcome[] = [];
    // Buyers on new connections (as through kube-proxy): each is a fresh connect, so a closed listener shows at once.
    const buyers = Array.from({ length: 4 }, async (_, w) => {
      for (let n = 0; load.running; n++) {
        outcomes.push(await send(seckill, 'POST', false, tokenFor(`drain-buyer-${String(w)}-${String(n)}`)));
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    // A pooled client (as an Envoy sidecar or an ingress): told to reconnect once the drain starts.
    const pool = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const pooled = (async () => {
      while (load.running) {
        keptAlive.push(await send(health, 'GET', pool));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let notReadyAt: number | undefined;
    let shutdownCheck: unknown;
    const poller = (async () => {
      while (load.running && notReadyAt === undefined) {
        const answer = await fetch(readyz).catch(() => undefined);
        if (answer?.status === 503) {
          notReadyAt = Date.now();
          shutdownCheck = ((await answer.json()) as { checks: Record<string, unknown> }).checks.shutdown;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    await new Promise((r) => setTimeout(r, 2000));
    const termAt = Date.now();
    server.kill('SIGTERM');
    const code = await exited;
    await Promise.all([...buyers, pooled, poller]);
    pool.destroy();
    const exitedAt = Date.now();

    expect(code).toBe(0);
    expect(shutdownCheck).toEqual({ status: 'down', message: 'shutting down: SIGTERM received' });
    if (notReadyAt === undefined) throw new Error('readiness never went false');
    const notReady = notReadyAt;
    expect(notReady - termAt).toBeLessThan(500);
    // In-flight requests finish within 5 s of the delay; stopping the stores takes a few seconds more at most.
    expect(exitedAt - termAt).toBeLessThan(SHUTDOWN_DELAY_MS + 10_000);

    const before = outcomes.filter((o) => o.at < termAt);
    expect(before.length).toBeGreaterThan(50);
    const refusedEarly = outcomes.filter((o) => o.error && o.at < notReady + SHUTDOWN_DELAY_MS - 500);
    expect(refusedEarly).toEqual([]);
    // Every answered seckill was a sale (or its idempotent replay), never a 5xx, draining or not.
    const answered = outcomes.filter((o) => o.status !== undefined);
    expect(answered.filter((o) => (o.status ?? 0) >= 500)).toEqual([]);
    expect(answered.filter((o) => o.at > notReady).length).toBeGreaterThan(0);
    const firstRefusal = outcomes.find((o) => o.error);
    if (firstRefusal) expect(firstRefusal.at).toBeGreaterThan(notReady);

    // Keep-alive answers carry Connection: close once the drain began, and keep-alive before it.
    expect(keptAlive.filter((o) => o.at < termAt).every((o) => o.connection === 'keep-alive')).toBe(true);
    const drained = keptAlive.filter((o) => o.status === 200 && o.at > notReady + 100);
    expect(drained.length).toBeGreaterThan(0);
    expect(drained.every((o) => o.connection === 'close')).toBe(true);
  }, 60_000);
});
