import pino from 'pino';
import { CircuitOpenError, DependencyUnavailableError } from '../../commands/dependency-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { failureAnswer, withCommonErrors } from './error-handler';

const mapping = withCommonErrors(() => null);
const context = { requestId: 'req-1', path: '/api/v1/seckill/c-1' };

/** The answer to `error` and the log lines it cost, parsed. */
const answerTo = (error: unknown) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const answer = failureAnswer(error, mapping, logger, context);
  return { answer, lines };
};

describe('answers to dependencies that cannot take a call', () => {
  it('an open circuit breaker: 503 DEPENDENCY_UNAVAILABLE with Retry-After, one log line without a stack', () => {
    const { answer, lines } = answerTo(new CircuitOpenError('event store', 'connect ECONNREFUSED'));
    expect(answer).toMatchObject({
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'event store is unavailable; retry shortly',
      headers: { 'Retry-After': '1' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'dependency unavailable',
      requestId: 'req-1',
      dependency: 'event store',
      reason: 'event store is unavailable: circuit breaker open (last failure: connect ECONNREFUSED)',
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/stack|\n\s+at /);
  });

  it('an outage: the same answer, logged with its error', () => {
    const { answer, lines } = answerTo(new DependencyUnavailableError('redis', new Error('timed out')));
    expect(answer).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveProperty('err.stack');
  });

  it('a full queue: 503 OVERLOADED with its Retry-After in seconds, not logged', () => {
    const { answer, lines } = answerTo(new OverloadedError('event store append queue', 3));
    expect(answer).toMatchObject({
      status: 503,
      code: 'OVERLOADED',
      message: 'event store append queue is full; retry shortly',
      headers: { 'Retry-After': '3' },
    });
    expect(lines).toEqual([]);
  });
});
