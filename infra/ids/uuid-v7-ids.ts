import { createHash, randomBytes } from 'node:crypto';
import type { IdGenerator } from '../../commands/id-generator-port';
import { keyHash16 } from '../../domain/shared/shard-key';

/**
 * Time-ordered UUIDv7 ids (RFC 9562). An order id carries, in its last 16 bits, a hash of its buyer's id, so the read
 * side finds the shard of an order from its id alone (domain/shared/shard-key).
 */
export class UuidV7Ids implements IdGenerator {
  orderId(userId: string): string {
    const bytes = uuidV7Bytes();
    const hash = keyHash16(userId);
    bytes[14] = hash >>> 8;
    bytes[15] = hash & 0xff;
    return format(bytes);
  }

  newId(): string {
    return format(uuidV7Bytes());
  }

  /**
   * A UUID of version 8 (RFC 9562's custom layout) made of SHA-256 bits of (coupon, buyer, n), whose last 16 bits are
   * the buyer's key hash, as an order id's are.
   */
  reservationId(couponId: string, userId: string, n: number): string {
    const bytes = createHash('sha256')
      .update(`reservation\n${couponId}\n${userId}\n${String(n)}`)
      .digest()
      .subarray(0, 16);
    bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
    const hash = keyHash16(userId);
    bytes[14] = hash >>> 8;
    bytes[15] = hash & 0xff;
    return format(bytes);
  }
}

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
