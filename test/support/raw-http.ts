import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given (fetch normalises paths, escapes and headers, which these tests must not) and reads
 * the answer until the server closes. The request should carry `Connection: close`.
 */
export const rawRequest = (port: number, bytes: Buffer | string, timeoutMs = 5000): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer in time'));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
    // Not end(): a client that half-closes first may lose an answer the server writes after reading its FIN.
    socket.write(bytes);
  });

/** A request's bytes: `method path HTTP/1.1`, the headers given plus Host and Connection: close, then the body. */
export const httpBytes = (
  method: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
  body: Buffer | string = '',
): Buffer => {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (
    payload.length > 0 &&
    !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))
  )
    lines.push(`Content-Length: ${String(payload.length)}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
};
