import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../../commands/id-generator-port';

/**
 * Time-ordered UUIDv7 ids (RFC 9562). An order id carries, in its last 16 bits, a hash of its buyer's id, so the read
 * side finds the shard of an order from its id alone, for any number of shards (`shardOfOrder`).
 */
export class UuidV7Ids implements IdGenerator {
  orderId(userId: string): string {
    const bytes = uuidV7Bytes();
    const hash = userShardHash(userId);
    bytes[14] = hash >>> 8;
    bytes[15] = hash & 0xff;
    return format(bytes);
  }

  newId(): string {
    return format(uuidV7Bytes());
  }
}

/** A stable 16-bit hash (FNV-1a folded) of a user id: shard = hash mod number of shards. */
export const userShardHash = (userId: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 16) ^ hash) & 0xffff;
};

export const shardOfUser = (userId: string, shards: number): number => userShardHash(userId) % shards;

export const shardOfOrder = (orderId: string, shards: number): number =>
  Number.parseInt(orderId.slice(-4), 16) % shards;

const uuidV7Bytes = (): Buffer => {
  const bytes = randomBytes(16);
  const now = Date.now();
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return bytes;
};

const format = (bytes: Buffer): string => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
