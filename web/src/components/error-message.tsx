import type { ApiError } from '../api/api-error';

/** The API's own message (and code) for a failed request, announced to screen readers. */
export const ErrorMessage = ({ error }: { error: ApiError | null }) =>
  error === null ? null : (
    <p class="alert alert-error" role="alert">
      {error.message} <span class="code">({error.code})</span>
    </p>
  );
