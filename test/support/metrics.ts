/**
 * The value of a series on a process's /metrics: the first of `name` whose labels include `labels` (e.g.
 * `dependency="redis"`), or null when there is none.
 */
export const metricOf = async (opsUrl: string, name: string, labels = ''): Promise<number | null> => {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? null : Number(line.split(' ').at(-1));
};

/** Polls `done` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export const waitFor = async (
  what: string,
  done: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
};
