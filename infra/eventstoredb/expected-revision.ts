import { ANY, NO_STREAM, STREAM_EXISTS, type AppendExpectedRevision } from '@eventstore/db-client';
import type { ExpectedRevision } from '../../commands/event-store-port';

/**
 * The port's expected revision in the client's terms. They mean the same (a bigint is the revision of the stream's
 * last event, the first event being 0n); only the spelling of the three special values differs.
 */
export const toClientExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
};

/**
 * The stream's actual revision as the client reports it in a WrongExpectedVersionError. EventStoreDB reports a
 * missing stream as `no_stream`; older servers spell it -1, and a revision can arrive as a number or a string.
 */
export const toActualRevision = (actual: unknown): bigint | 'no_stream' => {
  if (typeof actual === 'bigint') return actual < 0n ? 'no_stream' : actual;
  if (typeof actual === 'number' || (typeof actual === 'string' && /^-?\d+$/.test(actual))) {
    const revision = BigInt(actual);
    return revision < 0n ? 'no_stream' : revision;
  }
  return 'no_stream';
};
