/**
 * Runs `work` over `items` with at most `limit` in flight, like a client with a connection pool: thousands of
 * requests opened at once test the listener's backlog (test/connection-storm.int.ts), not the feature at hand.
 * Resolves to the results in the items' order.
 */
export const pool = async <T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T, index);
      }
    }),
  );
  return results;
};
