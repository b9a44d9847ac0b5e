import { OverloadedError } from '../../commands/overloaded-error';
import type { PasswordHasher } from '../../commands/password-hasher-port';
import { BoundedPasswordHasher } from './bounded-password-hasher';

/** A hasher whose every call waits until the test lets it finish. */
const heldHasher = () => {
  const pending: (() => void)[] = [];
  let started = 0;
  const held = <T>(value: T) =>
    new Promise<T>((resolve) => {
      started += 1;
      pending.push(() => resolve(value));
    });
  const hasher: PasswordHasher = {
    hash: (password) => held(`hash-of-${password}`),
    verify: (password, stored) => held(stored === `hash-of-${password}`),
  };
  return {
    hasher,
    started: () => started,
    releaseAll: () => pending.splice(0).forEach((release) => release()),
  };
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedPasswordHasher', () => {
  it('runs at most `concurrency` hashes, queues up to `queue`, and sheds the rest with OverloadedError', async () => {
    const inner = heldHasher();
    const bounded = new BoundedPasswordHasher(inner.hasher, { concurrency: 2, queue: 3 }, 1);
    const admitted = [
      bounded.hash('a'),
      bounded.verify('b', 'hash-of-b'),
      bounded.hash('c'),
      bounded.verify('d', 'nope'),
      bounded.hash('e'),
    ];
    const shed = bounded.verify('f', 'hash-of-f');
    await expect(shed).rejects.toBeInstanceOf(OverloadedError);
    await expect(shed).rejects.toMatchObject({ resource: 'password hashing', retryAfterSeconds: 1 });
    await settle();
    expect(inner.started()).toBe(2);
    expect(bounded.stats).toEqual({ running: 2, waiting: 3, shed: 1 });

    // The queue drains in order as slots free up, and every admitted call gets its own answer.
    while (inner.started() < 5) {
      inner.releaseAll();
      await settle();
    }
    inner.releaseAll();
    await expect(Promise.all(admitted)).resolves.toEqual([
      'hash-of-a',
      true,
      'hash-of-c',
      false,
      'hash-of-e',
    ]);
    expect(bounded.stats).toEqual({ running: 0, waiting: 0, shed: 1 });
  });

  it('passes the hasher’s own failures through, without counting them as shed', async () => {
    const failing: PasswordHasher = {
      hash: () => Promise.reject(new Error('scrypt failed')),
      verify: () => Promise.reject(new Error('scrypt failed')),
    };
    const bounded = new BoundedPasswordHasher(failing, { concurrency: 1, queue: 0 }, 1);
    await expect(bounded.hash('x')).rejects.toThrow('scrypt failed');
    expect(bounded.stats.shed).toBe(0);
  });
});
