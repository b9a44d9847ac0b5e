import { createServer, type RequestListener } from 'node:http';
import express from 'express';

/** What both constant baselines answer: about the size of a seckill answer. */
const BODY = JSON.stringify({
  orderId: '0190c2a5-8a7e-7000-8000-00000000a1b2',
  couponId: '0190c2a5-8a7e-7000-8000-000000000001',
  userId: 'buyer-1',
  status: 'PLACED',
  position: '123456',
});

/** Baseline 1a: the ceiling of HTTP in Node here. */
export const bareHandler: RequestListener = (req, res) => {
  req.resume();
  res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': BODY.length });
  res.end(BODY);
};

/** Baseline 1b: the same answer through an express 5 app. */
export const expressHandler = (): RequestListener => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.post('/api/v1/seckill/:couponId', (_req, res) => {
    res.status(201).type('json').send(BODY);
  });
  return (req, res) => void app(req, res);
};

export const serve = (handler: RequestListener, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
