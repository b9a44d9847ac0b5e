import { Worker } from 'node:worker_threads';

/**
 * A flood of one kind of request from a worker thread, so that the flooding client does not share the event loop of
 * the server under test (which runs in the test's own thread). Placeholders in `body` and `forwardedFor`: `{n}` the
 * request's number in its worker, `{w}` the worker, `{hi}` and `{lo}` the two low bytes of `{n}`.
 */
export interface FloodPlan {
  readonly url: string;
  readonly path: string;
  readonly body: string;
  readonly forwardedFor: string;
  /** Requests in flight at once. */
  readonly workers: number;
  /**
   * Requests a second, all workers together: the flooding client runs on the machine of the server under test, so
   * an unpaced flood measures the test machine's CPU rather than what the server spends on it.
   */
  readonly ratePerSecond: number;
  /** Bounds: no more requests than this, for no longer than this. */
  readonly maxRequests: number;
  readonly maxMs: number;
}

/** What one flooding request was answered. */
export interface FloodAnswer {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly policy: string | null;
  readonly rateLimit: string | null;
}

export interface RunningFlood {
  /** How many answers came back so far. */
  answered(): number;
  /** Answers so far with this status. */
  count(status: number): number;
  /** Stops the flood and gives every answer. */
  stop(): Promise<FloodAnswer[]>;
}

const WORKER = `
const { parentPort, workerData: plan } = require('node:worker_threads');
const http = require('node:http');
let stopping = false;
let sent = 0;
const deadline = Date.now() + plan.maxMs;
const fill = (template, n, w) =>
  template.replaceAll('{n}', String(n)).replaceAll('{w}', String(w))
    .replaceAll('{hi}', String((n >> 8) & 255)).replaceAll('{lo}', String(n & 255));
parentPort.on('message', () => { stopping = true; });
// node:http with kept-alive sockets: a fraction of fetch's CPU, which would otherwise be taken from the server.
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.workers });
const target = new URL(plan.url + plan.path);
const post = (body, forwardedFor) =>
  new Promise((resolve, reject) => {
    const req = http.request(target, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': forwardedFor },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        let code = null;
        try { code = JSON.parse(text).error?.code ?? null; } catch {}
        const h = (name) => res.headers[name] ?? null;
        resolve({ status: res.statusCode, code, retryAfter: h('retry-after'), policy: h('ratelimit-policy'), rateLimit: h('ratelimit') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
const interval = (1000 * plan.workers) / plan.ratePerSecond;
const started = Date.now();
const loop = async (w) => {
  for (let n = 0; !stopping && sent < plan.maxRequests && Date.now() < deadline; n++) {
    const due = started + (w * interval) / plan.workers + n * interval;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    if (stopping) break;
    sent++;
    parentPort.postMessage(await post(fill(plan.body, n, w), fill(plan.forwardedFor, n, w)));
  }
};
Promise.all(Array.from({ length: plan.workers }, (_, w) => loop(w))).then(() => parentPort.postMessage('done'));
`;

/** Starts a flood (bounded by `maxRequests` and `maxMs`) at once; `stop()` ends it early. */
export const startFlood = (plan: FloodPlan): RunningFlood => {
  const answers: FloodAnswer[] = [];
  const worker = new Worker(WORKER, { eval: true, workerData: plan });
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FloodAnswer | 'done') => {
      if (message === 'done') resolve();
      else answers.push(message);
    });
    worker.on('error', reject);
  });
  return {
    answered: () => answers.length,
    count: (status) => answers.filter((a) => a.status === status).length,
    stop: async () => {
      worker.postMessage('stop');
      await done;
      await worker.terminate();
      return answers;
    },
  };
};
