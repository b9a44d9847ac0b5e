import { ServerClock } from './server-clock';

describe('the server clock as the browser estimates it', () => {
  const at = Date.parse('2026-11-30T12:00:00.000Z');

  it('keeps the device clock within the Date header’s resolution', () => {
    const clock = new ServerClock();
    clock.observe(new Date(at).toUTCString(), at + 100, at + 300);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(5);
  });

  it('follows the server when the device is far off, by the round trip’s middle', () => {
    const clock = new ServerClock();
    // The device is 30 s slow: its request left at server time −30 s.
    clock.observe(new Date(at).toUTCString(), at - 30_200, at - 29_800);
    const offset = clock.now() - Date.now();
    expect(offset).toBeGreaterThan(30_000);
    expect(offset).toBeLessThan(31_000);
  });

  it('ignores an answer without a usable Date header', () => {
    const clock = new ServerClock();
    clock.observe(null, at, at);
    clock.observe('not a date', at, at);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(5);
  });
});
