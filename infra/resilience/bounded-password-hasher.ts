import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';
import { OverloadedError } from '../../commands/overloaded-error';
import type { PasswordHasher } from '../../commands/password-hasher-port';

/** How many hashes run, wait and were shed, for /metrics. */
export interface HashingStats {
  readonly running: number;
  readonly waiting: number;
  readonly shed: number;
}

/**
 * The PasswordHasher port behind a bulkhead (cockatiel): at most `concurrency` hashes run at once, at most `queue`
 * wait for a slot (first come, first served), and any more are refused at once. scrypt runs on libuv's small thread
 * pool and takes tens of milliseconds of CPU each: unbounded, a login flood fills the pool and the process's memory
 * (32 MiB a hash at the default cost), and every login, a real user's too, waits behind the whole flood.
 *
 * @throws OverloadedError ("password hashing", HTTP 503 OVERLOADED with Retry-After) when the queue is full; nothing
 *   was hashed.
 */
export class BoundedPasswordHasher implements PasswordHasher {
  private readonly bulkhead: BulkheadPolicy;
  private shedCount = 0;

  constructor(
    private readonly hasher: PasswordHasher,
    private readonly limits: { readonly concurrency: number; readonly queue: number },
    private readonly retryAfterSeconds: number,
  ) {
    this.bulkhead = bulkhead(limits.concurrency, limits.queue);
  }

  hash(password: string): Promise<string> {
    return this.bounded(() => this.hasher.hash(password));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.bounded(() => this.hasher.verify(password, stored));
  }

  get stats(): HashingStats {
    return {
      running: this.limits.concurrency - this.bulkhead.executionSlots,
      waiting: this.limits.queue - this.bulkhead.queueSlots,
      shed: this.shedCount,
    };
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.bulkhead.execute(work);
    } catch (error) {
      if (!(error instanceof BulkheadRejectedError)) throw error;
      this.shedCount += 1;
      throw new OverloadedError('password hashing', this.retryAfterSeconds);
    }
  }
}
