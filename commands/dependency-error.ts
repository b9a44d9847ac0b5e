/** A dependency (Redis, the event store) could not be reached or did not answer in time. Retriable; HTTP 503. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'DependencyUnavailableError';
  }
}

/**
 * The dependency's circuit breaker is open: it failed again and again, so calls to it are refused at once, without
 * being sent, until a probe finds it back. Nothing of the refused call reached the dependency. HTTP 503, like any
 * outage.
 */
export class CircuitOpenError extends DependencyUnavailableError {
  constructor(dependency: string, lastFailure: string) {
    super(dependency, `circuit breaker open (last failure: ${lastFailure})`);
    this.name = 'CircuitOpenError';
  }
}
