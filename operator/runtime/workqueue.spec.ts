import { WorkQueue } from './workqueue';

const manualTimers = () => {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const entry = { fn, ms, cancelled: false };
      pending.push(entry);
      return { cancel: () => (entry.cancelled = true) };
    },
    fire: () => {
      for (const t of pending.splice(0)) if (!t.cancelled) t.fn();
    },
  };
};

describe('WorkQueue', () => {
  it('holds a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.depth).toBe(0);
  });

  it('never hands a key being processed to a second worker, and requeues it after done if added meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.depth).toBe(0);
    q.done(key ?? '');
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const next = q.get();
    q.add('x');
    expect(await next).toBe('x');
  });

  it('backs off exponentially per key until forgotten', () => {
    const timers = manualTimers();
    const q = new WorkQueue({ baseDelayMs: 5, maxDelayMs: 100, setTimer: timers.setTimer });
    expect([1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(q.addRateLimited('b')).toBe(5);
    q.forget('a');
    expect(q.retries('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(5);
  });

  it('adds a delayed key when its timer fires, keeping only the earliest pending delay', () => {
    const timers = manualTimers();
    const q = new WorkQueue({ setTimer: timers.setTimer });
    q.addAfter('a', 1000);
    q.addAfter('a', 5000);
    expect(timers.pending).toHaveLength(1);
    q.addAfter('a', 10);
    expect(timers.pending.filter((t) => !t.cancelled).map((t) => t.ms)).toEqual([10]);
    timers.fire();
    expect(q.depth).toBe(1);
  });

  it('releases waiting workers with undefined on shutdown and ignores later adds', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(await q.get()).toBeUndefined();
  });
});
