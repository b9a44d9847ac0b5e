import { ApiError } from '../infra/http/api-error';
import { withCommonErrors } from '../infra/http/error-handler';
import { ReadModelBehindError, ReadModelMissingError } from '../projections/live-read-models';
import { StreamLimitError } from '../projections/notifications/notification-feed';
import { streamRefusal } from './routes/notification-stream';

/** The read API's answers to what its queries throw; `null` means "unexpected: log it and answer 500". */
export const toReadApiError = withCommonErrors((error) => {
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
  if (error instanceof StreamLimitError) return streamRefusal(error.scope, error.message);
  if (error instanceof ReadModelMissingError)
    return new ApiError(503, 'READ_MODEL_NOT_READY', error.message, undefined, { 'Retry-After': '1' });
  return null;
});
