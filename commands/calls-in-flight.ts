/**
 * Counts the calls one target (a Redis topology's gate, an event-store endpoint) is serving, so that a live switch to
 * another target can wait for the old one's calls to end before closing it.
 */
export class CallsInFlight {
  private count = 0;
  private idle: (() => void)[] = [];

  /** Runs `call`, counted until it settles. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await call();
    } finally {
      this.count -= 1;
      if (this.count === 0 && this.idle.length > 0) for (const idle of this.idle.splice(0)) idle();
    }
  }

  /** Resolves true once no call is running, false if `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
