import { createConnection, createPool, type Pool, type PoolOptions } from 'mysql2/promise';

export interface MySqlPoolOptions {
  readonly url: string;
  readonly connectionLimit: number;
  readonly lockWaitTimeoutSeconds: number;
}

/**
 * Pools share one shape: positions as exact strings (never lossy numbers), UTC, READ COMMITTED so that each
 * statement sees what committed before it (appends rely on this after taking the head lock).
 */
export const createMySqlPool = ({ url, connectionLimit, lockWaitTimeoutSeconds }: MySqlPoolOptions): Pool => {
  const options: PoolOptions = {
    uri: url,
    connectionLimit,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: false,
    timezone: 'Z',
    connectTimeout: 3000,
    enableKeepAlive: true,
    waitForConnections: true,
    queueLimit: 10_000,
  };
  const pool = createPool(options);
  pool.pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    connection.query(
      `SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(lockWaitTimeoutSeconds))}, time_zone = '+00:00'`,
    );
  });
  return pool;
};

/** Creates the database named in the URL when it does not exist (the embedded default sets itself up). */
export const ensureDatabase = async (url: string): Promise<void> => {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(database))
    throw new Error(`MySQL database name "${database}" must be letters, digits and underscores`);
  parsed.pathname = '/';
  const connection = await createConnection({ uri: parsed.toString(), connectTimeout: 3000 });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await connection.end();
  }
};

/** MySQL's duplicate-key error: the unique indexes are how the store detects concurrent writers. */
export const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'ER_DUP_ENTRY';
