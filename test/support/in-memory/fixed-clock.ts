import type { Clock } from '../../../commands/clock-port';

/** A Clock that says what it is told: time passes only when a spec moves it (`set`, `advance`). */
export class FixedClock implements Clock {
  private at: number;

  constructor(at: Date | string) {
    this.at = new Date(at).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  nowMs(): number {
    return this.at;
  }

  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
