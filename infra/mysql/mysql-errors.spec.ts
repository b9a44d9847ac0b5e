import { createServer, type Server, type Socket } from 'node:net';
import { createPool } from 'mysql2/promise';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { InvalidInputError } from '../../commands/invalid-input-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { classifySqlError } from './mysql-errors';

/** A server that accepts connections and never answers: mysql2's connections stay in their handshake. */
const silentServer = async (): Promise<{ server: Server; port: number; sockets: Socket[] }> => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets };
};

describe('classifySqlError', () => {
  it("maps mysql2's full pool wait queue to OverloadedError: refused before anything was sent", async () => {
    const { server, port, sockets } = await silentServer();
    const pool = createPool({
      uri: `mysql://u:p@127.0.0.1:${port}/db`,
      connectionLimit: 1,
      queueLimit: 1,
      connectTimeout: 60_000,
    });
    const waiting = [pool.query('SELECT 1'), pool.query('SELECT 2')].map((q) => q.catch(() => undefined));
    try {
      const refusal: unknown = await pool.query('SELECT 3').then(
        () => null,
        (error: unknown) => error,
      );
      const classified = classifySqlError(refusal, 'event store');
      expect(classified).toBeInstanceOf(OverloadedError);
      expect(classified).toMatchObject({ resource: 'event store connection queue', retryAfterSeconds: 1 });
    } finally {
      // The pool's one connection is still in its handshake: cut it, and both waiting queries fail.
      while (sockets.length === 0) await new Promise((r) => setTimeout(r, 10));
      for (const socket of sockets) socket.destroy();
      await Promise.all(waiting);
      await pool.end().catch(() => undefined);
      server.close();
    }
  });

  it('maps a value the column cannot hold to InvalidInputError', () => {
    const error = Object.assign(new Error('Data too long'), { code: 'ER_DATA_TOO_LONG', sqlState: '22001' });
    expect(classifySqlError(error, 'event store')).toBeInstanceOf(InvalidInputError);
  });

  it('maps anything else to DependencyUnavailableError, an outage of the named database', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifySqlError(error, 'event store')).toMatchObject({ dependency: 'event store' });
    expect(classifySqlError(error, 'event store')).toBeInstanceOf(DependencyUnavailableError);
  });

  it('keeps an error it classified before', () => {
    const overloaded = new OverloadedError('event store append queue', 2);
    expect(classifySqlError(overloaded, 'event store')).toBe(overloaded);
  });
});
