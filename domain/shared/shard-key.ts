/**
 * How keys map to read shards. An order id carries its buyer's 16-bit key hash in its last four hex digits, so an order
 * is found from its id alone, for any number of shards.
 */
export const keyHash16 = (key: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 16) ^ hash) & 0xffff;
};

/** The key hash an order id carries: its buyer's (the last four hex digits). */
export const keyHashOfOrder = (orderId: string): number => Number.parseInt(orderId.slice(-4), 16);

export const shardOfKey = (key: string, shards: number): number => keyHash16(key) % shards;

export const shardOfOrder = (orderId: string, shards: number): number => keyHashOfOrder(orderId) % shards;
