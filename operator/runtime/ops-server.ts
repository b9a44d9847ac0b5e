import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * /healthz (the process is alive and its loops run), /readyz (leader or standby, informers synced when leading)
 * and /metrics, on a port of their own, as kubelet probes and Prometheus expect.
 */
export function startOpsServer(
  port: number,
  host: string,
  registry: Registry,
  checks: { healthy: () => boolean; ready: () => boolean; status: () => Record<string, unknown> },
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    if (path === '/healthz') {
      const ok = checks.healthy();
      reply(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unhealthy', ...checks.status() }));
    } else if (path === '/readyz') {
      const ok = checks.ready();
      reply(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'not ready', ...checks.status() }));
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (error: unknown) => reply(500, JSON.stringify({ error: String(error) })),
      );
    } else reply(404, JSON.stringify({ error: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
