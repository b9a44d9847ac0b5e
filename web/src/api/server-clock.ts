/**
 * The API's clock as this browser can know it: sale windows open by the server's time, and a device whose clock is
 * off would enable the buy button early or, worse, late. Each answer's `Date` header (RFC 9110 §6.6.1, whole seconds)
 * gives an estimate; within that resolution the device's own clock is the better one and is kept.
 */
export class ServerClock {
  private offsetMs = 0;

  /** Takes one answer's `Date` header, with when its request left and its answer came (epoch ms, local). */
  observe(dateHeader: string | null, sentAtMs: number, receivedAtMs: number): void {
    const server = dateHeader === null ? Number.NaN : Date.parse(dateHeader);
    if (Number.isNaN(server)) return;
    // The server's time was somewhere in [server, server + 1 s) when it answered, around the round trip's middle.
    const estimate = server + 500 - (sentAtMs + receivedAtMs) / 2;
    this.offsetMs = Math.abs(estimate) > 1500 ? estimate : 0;
  }

  /** The server's time now, epoch milliseconds. */
  now(): number {
    return Date.now() + this.offsetMs;
  }
}
