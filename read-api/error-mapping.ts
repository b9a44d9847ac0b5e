import { DependencyUnavailableError } from '../commands/dependency-error';
import { InvalidInputError } from '../commands/invalid-input-error';
import { ApiError } from '../infra/http/api-error';
import { ReadModelBehindError, ReadModelMissingError } from '../projections/live-read-models';

/** The read API's answers to what its queries throw; `null` means "unexpected: log it and answer 500". */
export const toReadApiError = (error: unknown): ApiError | null => {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidInputError) return new ApiError(400, 'VALIDATION_FAILED', error.message);
  if (error instanceof ReadModelBehindError)
    return new ApiError(
      503,
      'READ_MODEL_BEHIND',
      error.message,
      {
        requiredPosition: error.required.toString(),
        currentPosition: error.current.toString(),
        reason: error.reason,
      },
      { 'Retry-After': '1' },
    );
  if (error instanceof ReadModelMissingError)
    return new ApiError(503, 'READ_MODEL_NOT_READY', error.message, undefined, { 'Retry-After': '1' });
  if (error instanceof DependencyUnavailableError)
    return new ApiError(
      503,
      'DEPENDENCY_UNAVAILABLE',
      `${error.dependency} is unavailable; retry shortly`,
      undefined,
      { 'Retry-After': '1' },
    );
  return null;
};
