import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { WrongExpectedRevisionError, type ExpectedRevision } from '../../commands/event-store-port';
import { toActualRevision } from './expected-revision';

export const EVENT_STORE = 'event store (EventStoreDB)';

/** gRPC statuses that mean "the server could not be reached or did not answer": retrying later may succeed. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
  GrpcStatus.UNKNOWN,
]);

const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * True when the error says EventStoreDB is down, unreachable, too slow or restarting. The client throws its own
 * error classes for calls it converted, but raw gRPC errors (a numeric `code`) escape from some paths, e.g. the
 * server-features handshake at the first call, and Node socket errors (a string `code`) from DNS and connects.
 */
export const isTransientEsdbError = (error: unknown): boolean => {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    error instanceof TimeoutError ||
    error instanceof UnknownError ||
    error instanceof NotLeaderError
  )
    return true;
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error;
  return (
    (typeof code === 'number' && TRANSIENT_STATUSES.has(code)) ||
    (typeof code === 'string' && NETWORK_ERROR_CODES.has(code))
  );
};

/**
 * The port's error for what went wrong in a call to EventStoreDB: a concurrency conflict becomes the port's
 * WrongExpectedRevisionError, an unreachable server a retriable DependencyUnavailableError (HTTP 503), and anything
 * else (access denied, a deleted stream, an oversized append: configuration or code errors) passes unchanged.
 */
export const toPortError = (
  error: unknown,
  append?: { readonly streamId: string; readonly expected: ExpectedRevision },
): unknown => {
  if (error instanceof WrongExpectedVersionError && append)
    return new WrongExpectedRevisionError(
      append.streamId,
      append.expected,
      toActualRevision(error.actualVersion),
    );
  if (isTransientEsdbError(error)) return new DependencyUnavailableError(EVENT_STORE, error);
  return error;
};
