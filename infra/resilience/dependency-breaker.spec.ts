import { ConcurrencyConflictError } from '../../commands/concurrency-conflict-error';
import { CircuitOpenError, DependencyUnavailableError } from '../../commands/dependency-error';
import { WrongExpectedRevisionError } from '../../commands/event-store-port';
import { InvalidInputError } from '../../commands/invalid-input-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { DomainError } from '../../domain/shared/domain-error';
import { RecordingLogger } from '../../test/support/in-memory/recording-logger';
import { DependencyBreaker, type BreakerSettings } from './dependency-breaker';

const SETTINGS: BreakerSettings = {
  consecutiveFailures: 3,
  failureRatio: 0.5,
  windowMs: 10_000,
  minimumCalls: 10,
  halfOpenAfterMs: 60_000,
};

const outage = () => new DependencyUnavailableError('event store', 'connect ECONNREFUSED');

describe('DependencyBreaker', () => {
  let logger: RecordingLogger;
  let refused: number;
  /** What the breaker's probe (the dependency's own ping) does: fail, until a spec says otherwise. */
  let ping: jest.Mock<Promise<unknown>, []>;
  const made: DependencyBreaker[] = [];
  const breakerWith = (settings: Partial<BreakerSettings> = {}) => {
    const breaker = new DependencyBreaker(
      'event store',
      { ...SETTINGS, ...settings },
      { probe: () => ping(), logger, onRefused: () => (refused += 1) },
    );
    made.push(breaker);
    return breaker;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const fail = (breaker: DependencyBreaker, error: Error = outage()) =>
    breaker.execute(() => Promise.reject(error)).catch(() => undefined);
  const succeed = (breaker: DependencyBreaker) => breaker.execute(() => Promise.resolve('ok'));

  beforeEach(() => {
    logger = new RecordingLogger();
    refused = 0;
    ping = jest.fn(() => Promise.reject(outage()));
  });
  afterEach(() => {
    for (const breaker of made.splice(0)) breaker.stop();
  });

  it('opens after the consecutive outages, then refuses at once without calling, saying why', async () => {
    const breaker = breakerWith();
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state).toBe('closed');
    await fail(breaker);
    expect(breaker.state).toBe('open');
    const call = jest.fn(() => Promise.resolve('sent'));
    await expect(breaker.execute(call)).rejects.toThrow(CircuitOpenError);
    await expect(breaker.execute(call)).rejects.toMatchObject({
      dependency: 'event store',
      message:
        'event store is unavailable: circuit breaker open (last failure: event store is unavailable: connect ECONNREFUSED)',
    });
    expect(() => breaker.admit()).toThrow(CircuitOpenError);
    expect(call).not.toHaveBeenCalled();
    expect(refused).toBe(3);
    expect(breaker.report()).toEqual({
      state: 'open',
      openedAt: expect.any(String),
      lastFailure: 'event store is unavailable: connect ECONNREFUSED',
    });
    expect(logger.messages('warn')).toEqual([
      'circuit breaker of event store opened: calls are refused at once until a probe succeeds',
    ]);
  });

  it('a success in between starts the count again', async () => {
    const breaker = breakerWith({ failureRatio: 0.9 });
    for (let i = 0; i < 5; i++) {
      await fail(breaker);
      await fail(breaker);
      await succeed(breaker);
    }
    expect(breaker.state).toBe('closed');
  });

  it('opens on the failure ratio over its window once it saw enough calls', async () => {
    const breaker = breakerWith({ consecutiveFailures: 100 });
    // 2 failures, 1 success, repeated: never 3 in a row, two thirds failed.
    for (let i = 0; i < 3; i++) {
      await fail(breaker);
      await fail(breaker);
      await succeed(breaker);
    }
    expect(breaker.state).toBe('closed');
    await fail(breaker);
    expect(breaker.state).toBe('open');
  });

  it.each<[string, Error]>([
    ['a value the dependency refused', new InvalidInputError('too long')],
    ['a concurrency conflict', new WrongExpectedRevisionError('order-1', 'no_stream', 0n)],
    ['a conflict that outlived its retries', new ConcurrencyConflictError('coupon-1', 10)],
    ['a domain refusal', new DomainError('COUPON_CLOSED', 'closed')],
    ['a full queue of our own', new OverloadedError('event store append queue', 1)],
  ])('counts only outages, not %s', async (_name, error) => {
    const breaker = breakerWith();
    for (let i = 0; i < 20; i++) await fail(breaker, error);
    expect(breaker.state).toBe('closed');
  });

  it('counts an error shared by many calls once (one failed group commit is one failed round trip)', async () => {
    const breaker = breakerWith();
    const shared = outage();
    await Promise.all(Array.from({ length: 50 }, () => fail(breaker, shared)));
    expect(breaker.state).toBe('closed');
  });

  it('probes the dependency itself once due, refusing every call meanwhile; a probe that succeeds closes it', async () => {
    const breaker = breakerWith({ halfOpenAfterMs: 20 });
    for (let i = 0; i < 3; i++) await fail(breaker);
    let answer: (value: string) => void = () => undefined;
    ping.mockImplementation(() => new Promise<string>((resolve) => (answer = resolve)));
    const call = jest.fn(() => Promise.resolve('sent'));
    await expect(breaker.execute(call)).rejects.toThrow(CircuitOpenError);
    await sleep(40);
    expect(ping).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('half_open');
    // A buyer's call is never the probe: it is refused while the probe is out.
    expect(() => breaker.admit()).toThrow(CircuitOpenError);
    await expect(breaker.execute(call)).rejects.toThrow(CircuitOpenError);
    expect(call).not.toHaveBeenCalled();
    answer('PONG');
    await sleep(0);
    expect(breaker.state).toBe('closed');
    expect(breaker.report()).toEqual({ state: 'closed' });
    await expect(breaker.execute(call)).resolves.toBe('sent');
    expect(logger.messages('info')).toEqual([
      'circuit breaker of event store: probing',
      'circuit breaker of event store closed',
    ]);
  });

  it('a failed probe keeps it open and probes again a while later', async () => {
    const breaker = breakerWith({ halfOpenAfterMs: 20 });
    for (let i = 0; i < 3; i++) await fail(breaker);
    await sleep(90);
    expect(ping.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(breaker.state).toBe('open');
    expect(() => breaker.admit()).toThrow(CircuitOpenError);
    ping.mockImplementation(() => Promise.resolve('PONG'));
    await sleep(40);
    expect(breaker.state).toBe('closed');
  });

  it('probes no more once stopped', async () => {
    const breaker = breakerWith({ halfOpenAfterMs: 20 });
    for (let i = 0; i < 3; i++) await fail(breaker);
    breaker.stop();
    await sleep(40);
    expect(ping).not.toHaveBeenCalled();
  });
});
