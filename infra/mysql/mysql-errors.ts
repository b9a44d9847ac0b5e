import { DependencyUnavailableError } from '../../commands/dependency-error';
import { InvalidInputError } from '../../commands/invalid-input-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { UndecodableEventError } from '../../domain/shared/upcaster';
import { FencedError } from '../../projections/read-model-ports';

/**
 * MySQL/MariaDB errors caused by a value in the statement rather than by the server (MariaDB error reference,
 * "MariaDB Error Codes"): characters a column's charset cannot hold, mixed collations in a comparison with such a
 * value, too long, out of range, not a valid date or JSON. Every statement they come from is the caller's fault.
 */
const VALUE_ERRORS = new Set([
  'ER_TRUNCATED_WRONG_VALUE', // 1292
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', // 1366 incorrect string value
  'ER_DATA_TOO_LONG', // 1406
  'ER_WARN_DATA_OUT_OF_RANGE', // 1264
  'ER_CANT_AGGREGATE_2COLLATIONS', // 1267 illegal mix of collations (a non-ASCII value against an ASCII column)
  'ER_CANT_AGGREGATE_3COLLATIONS', // 1270
  'ER_CANT_AGGREGATE_NCOLLATIONS', // 1271
  'ER_COLLATION_CHARSET_MISMATCH', // 1253
  'ER_INVALID_CHARACTER_STRING', // 1300
  'ER_BAD_NULL_ERROR', // 1048
  'ER_WRONG_VALUE', // 1525
  'ER_WRONG_VALUE_FOR_TYPE', // 1411
  'ER_INVALID_JSON_TEXT', // 3140 (MySQL)
]);

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

/** SQLSTATE class 22 is "data exception" (ISO/IEC 9075): the value, not the server. */
const sqlStateOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'sqlState' in error && typeof error.sqlState === 'string'
    ? error.sqlState
    : undefined;

export const isValueError = (error: unknown): boolean => {
  const code = codeOf(error);
  return (code !== undefined && VALUE_ERRORS.has(code)) || (sqlStateOf(error)?.startsWith('22') ?? false);
};

/**
 * mysql2 refuses a request for a connection at once with this message when its pool's wait queue holds `queueLimit`
 * requests already (mysql2 lib/base/pool.js): nothing was sent, so the caller may safely retry.
 */
const POOL_QUEUE_FULL = 'Queue limit reached.';

const isPoolQueueFull = (error: unknown): boolean =>
  error instanceof Error && codeOf(error) === undefined && error.message === POOL_QUEUE_FULL;

/**
 * What a failed statement means for its caller: OverloadedError when the pool's wait queue was full (nothing sent; not
 * an outage, so no breaker counts it), InvalidInputError when a value caused it, else
 * DependencyUnavailableError naming the database (an outage, a timeout, a lost connection). Errors this project
 * raises on purpose inside a transaction (a fenced write, an undecodable event, an earlier classification) keep their
 * meaning: wrapped as an outage, a fenced batch would be retried forever instead of being left to the new owner.
 */
export const classifySqlError = (error: unknown, dependency: string): Error =>
  error instanceof InvalidInputError ||
  error instanceof DependencyUnavailableError ||
  error instanceof OverloadedError ||
  error instanceof UndecodableEventError ||
  error instanceof FencedError
    ? error
    : isPoolQueueFull(error)
      ? new OverloadedError(`${dependency} connection queue`, 1)
      : isValueError(error)
        ? new InvalidInputError(`${dependency} cannot hold a value of this request`, { cause: error })
        : new DependencyUnavailableError(dependency, error);
