import { UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { WrongExpectedRevisionError, type ExpectedRevision } from '../../commands/event-store-port';
import { toPortError } from './esdb-errors';
import { toActualRevision, toClientExpectedRevision } from './expected-revision';

describe('EventStoreDB error and revision mapping', () => {
  it('maps a conflict to the port error with the actual revision', () => {
    const conflict = new WrongExpectedVersionError(undefined, {
      streamName: 'order-1',
      current: 'no_stream',
      expected: 0n,
    });
    const mapped = toPortError(conflict, { streamId: 'order-1', expected: 0n });
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: 'order-1', expected: 0n, actual: 'no_stream' });
  });

  it('maps transport failures, client-converted or raw, to DependencyUnavailableError', () => {
    expect(toPortError(new UnavailableError())).toBeInstanceOf(DependencyUnavailableError);
    expect(toPortError(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }))).toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(toPortError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(
      DependencyUnavailableError,
    );
    const bug = new TypeError('not transient');
    expect(toPortError(bug)).toBe(bug);
  });

  it('spells expected and actual revisions in each side’s terms', () => {
    const expected: ExpectedRevision[] = ['any', 'no_stream', 'stream_exists', 4n];
    expect(expected.map(toClientExpectedRevision)).toEqual(['any', 'no_stream', 'stream_exists', 4n]);
    expect([3n, -1n, '5', 2, 'no_stream'].map(toActualRevision)).toEqual([
      3n,
      'no_stream',
      5n,
      2n,
      'no_stream',
    ]);
  });
});
