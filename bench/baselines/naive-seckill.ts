import { randomUUID } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { InvalidTokenError, type JwtTokens } from '../../infra/auth/jwt-tokens';
import { createMySqlPool, ensureDatabase, isDuplicateKey } from '../../infra/mysql/mysql-pool';

const URL_PATTERN = /^\/api\/v1\/seckill\/([0-9a-f-]{36})$/;
const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;

/**
 * Baseline 3, the design most systems start from: per request one MySQL transaction that locks the stock row
 * (SELECT … FOR UPDATE), decrements it and inserts the order; a unique key enforces one order per buyer.
 */
export const openNaiveSeckill = async (
  url: string,
  couponId: string,
  stock: number,
  poolSize: number,
): Promise<Pool> => {
  await ensureDatabase(url);
  const pool = createMySqlPool({ url, connectionLimit: poolSize, lockWaitTimeoutSeconds: 10 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS naive_stock (coupon_id CHAR(36) NOT NULL PRIMARY KEY, remaining INT NOT NULL) ENGINE=InnoDB',
  );
  await pool.query(
    `CREATE TABLE IF NOT EXISTS naive_orders (order_id CHAR(36) NOT NULL PRIMARY KEY, coupon_id CHAR(36) NOT NULL,
       user_id VARCHAR(64) NOT NULL, placed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
       UNIQUE KEY one_per_buyer (coupon_id, user_id)) ENGINE=InnoDB`,
  );
  await pool.query('REPLACE INTO naive_stock (coupon_id, remaining) VALUES (?, ?)', [couponId, stock]);
  return pool;
};

const reply = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
};

const refuse = (res: ServerResponse, status: number, code: string): void =>
  reply(res, status, { error: { code, message: code.toLowerCase().replace(/_/g, ' ') } });

export const naiveSeckillHandler =
  (pool: Pool, tokens: JwtTokens): RequestListener =>
  (req, res) => {
    req.resume();
    const couponId = req.method === 'POST' ? URL_PATTERN.exec(req.url ?? '')?.[1] : undefined;
    if (couponId === undefined) return refuse(res, 404, 'NOT_FOUND');
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    let userId: string;
    try {
      if (!token) throw new InvalidTokenError('no token');
      userId = tokens.verify(token).userId;
    } catch {
      return refuse(res, 401, 'UNAUTHENTICATED');
    }
    void placeOrder(pool, couponId, userId).then(
      (outcome) =>
        typeof outcome === 'string'
          ? refuse(res, 409, outcome)
          : reply(res, 201, { ...outcome, couponId, userId, status: 'PLACED' }),
      () => refuse(res, 503, 'DEPENDENCY_UNAVAILABLE'),
    );
  };

const placeOrder = async (
  pool: Pool,
  couponId: string,
  userId: string,
): Promise<{ orderId: string } | 'SOLD_OUT' | 'LIMIT_REACHED' | 'COUPON_NOT_FOUND'> => {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT remaining FROM naive_stock WHERE coupon_id = ? FOR UPDATE',
      [couponId],
    );
    const remaining = rows[0]?.remaining as number | undefined;
    if (remaining === undefined || remaining <= 0) {
      await connection.rollback();
      return remaining === undefined ? 'COUPON_NOT_FOUND' : 'SOLD_OUT';
    }
    await connection.query<ResultSetHeader>(
      'UPDATE naive_stock SET remaining = remaining - 1 WHERE coupon_id = ?',
      [couponId],
    );
    const orderId = randomUUID();
    try {
      await connection.query('INSERT INTO naive_orders (order_id, coupon_id, user_id) VALUES (?, ?, ?)', [
        orderId,
        couponId,
        userId,
      ]);
    } catch (error) {
      await connection.rollback();
      if (isDuplicateKey(error)) return 'LIMIT_REACHED';
      throw error;
    }
    await connection.commit();
    return { orderId };
  } catch (error) {
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
};
