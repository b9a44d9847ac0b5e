import type { Clock } from '../../commands/clock-port';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
