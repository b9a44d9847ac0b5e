import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  SamplingBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import { CircuitOpenError, DependencyUnavailableError } from '../../commands/dependency-error';
import type { Logger } from '../../commands/logger-port';

/** When a breaker opens and when it probes again; one set for every dependency (COUPONKILL_BREAKER_*). */
export interface BreakerSettings {
  /** This many dependency failures in a row open it. */
  readonly consecutiveFailures: number;
  /** A share of failed calls (0 < r < 1) over the last `windowMs` that opens it, once `minimumCalls` were made there. */
  readonly failureRatio: number;
  readonly windowMs: number;
  readonly minimumCalls: number;
  /** How long it stays open before it probes its dependency (BreakerHooks.probe): success closes it, failure reopens it. */
  readonly halfOpenAfterMs: number;
}

/** `half_open`: its probe is out; every call is still refused until the probe closes it. */
export type BreakerState = 'closed' | 'half_open' | 'open';

/** The numbers of the `couponkill_circuit_breaker_state` gauge. */
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

/** What /readyz shows of a breaker. */
export interface BreakerReport {
  readonly state: BreakerState;
  /** When it last opened (ISO 8601), while it is not closed. */
  readonly openedAt?: string;
  /** The failure that opened it, while it is not closed. */
  readonly lastFailure?: string;
}

/** Opens when any of its breakers says so; every breaker sees every call, so each keeps its own count right. */
class AnyOfBreakers implements IBreaker {
  constructor(private readonly breakers: readonly IBreaker[]) {}

  get state(): unknown {
    return this.breakers.map((breaker) => breaker.state);
  }

  set state(value: unknown) {
    (value as unknown[]).forEach((state, i) => {
      const breaker = this.breakers[i];
      if (breaker) breaker.state = state;
    });
  }

  success(state: CircuitState): void {
    for (const breaker of this.breakers) breaker.success(state);
  }

  failure(state: CircuitState): boolean {
    return this.breakers.reduce((open, breaker) => breaker.failure(state) || open, false);
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What a breaker needs besides its settings. */
export interface BreakerHooks {
  /**
   * A cheap call to the dependency itself (not through the breaker), made once the breaker is due for a probe: its
   * success closes the breaker, its failure keeps it open for another `halfOpenAfterMs`.
   */
  readonly probe: () => Promise<unknown>;
  readonly logger: Logger;
  /** Told of every call refused because the breaker is open. */
  readonly onRefused?: () => void;
}

/**
 * A circuit breaker (cockatiel) in front of one dependency. Only outages count as failures: DependencyUnavailableError
 * (unreachable, timed out, past an append's deadline), never a value the dependency refused (InvalidInputError), a
 * concurrency conflict, a domain refusal or a full queue of our own. `consecutiveFailures` in a row, or a
 * `failureRatio` of the calls over `windowMs`, open it; while it is not closed every call is refused at once with
 * CircuitOpenError, unsent. `halfOpenAfterMs` after it opened, the breaker probes the dependency itself (its ping):
 * a buyer's request is never the probe, so a probe that fails takes no stock, and a pod that gets no traffic while
 * not ready still finds its dependency back.
 *
 * A failure is counted once per error object: the embedded event store answers every append of a failed group
 * commit with the same error, and that is one failed round trip, not hundreds.
 */
export class DependencyBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private readonly counted = new WeakSet<Error>();
  private openedAtMs = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    /** How errors and logs name it: `event store`, `redis`, `read shard 0`. */
    readonly dependency: string,
    private readonly settings: BreakerSettings,
    private readonly hooks: BreakerHooks,
  ) {
    this.policy = circuitBreaker(
      handleWhen((error) => {
        if (!(error instanceof DependencyUnavailableError) || error instanceof CircuitOpenError) return false;
        if (this.counted.has(error)) return false;
        this.counted.add(error);
        return true;
      }),
      {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new AnyOfBreakers([
          new ConsecutiveBreaker(settings.consecutiveFailures),
          new SamplingBreaker({
            threshold: settings.failureRatio,
            duration: settings.windowMs,
            minimumRps: settings.minimumCalls / (settings.windowMs / 1000),
          }),
        ]),
      },
    );
    const { logger } = hooks;
    this.policy.onBreak(() => {
      this.openedAtMs = Date.now();
      logger.warn(
        { dependency, lastFailure: this.lastFailure(), halfOpenAfterMs: settings.halfOpenAfterMs },
        `circuit breaker of ${dependency} opened: calls are refused at once until a probe succeeds`,
      );
      this.probeIn(settings.halfOpenAfterMs);
    });
    this.policy.onHalfOpen(() => logger.info({ dependency }, `circuit breaker of ${dependency}: probing`));
    this.policy.onReset(() => logger.info({ dependency }, `circuit breaker of ${dependency} closed`));
  }

  get state(): BreakerState {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half_open';
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
    }
  }

  report(): BreakerReport {
    const state = this.state;
    return state === 'closed'
      ? { state }
      : { state, openedAt: new Date(this.openedAtMs).toISOString(), lastFailure: this.lastFailure() };
  }

  /** Throws CircuitOpenError when a call made now would be refused (the breaker is not closed); else returns. */
  admit(): void {
    if (this.policy.state !== CircuitState.Closed) throw this.refusal();
  }

  /** Runs `call` through the breaker: refused at once with CircuitOpenError (never called) unless it is closed. */
  async execute<T>(call: () => Promise<T>): Promise<T> {
    this.admit();
    try {
      return await this.policy.execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.refusal();
      throw error;
    }
  }

  /** No more probes (the process is stopping). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }

  private probeIn(ms: number): void {
    clearTimeout(this.probeTimer);
    if (this.stopped) return;
    this.probeTimer = setTimeout(() => void this.probe(), ms).unref();
  }

  /** A failed probe opens the breaker again, which schedules the next one (onBreak). */
  private async probe(): Promise<void> {
    try {
      await this.policy.execute(this.hooks.probe);
    } catch (error) {
      // A timer may fire a hair before cockatiel's clock says the breaker is due: look again in a moment.
      if (error instanceof BrokenCircuitError) this.probeIn(10);
    }
  }

  private refusal(): CircuitOpenError {
    this.hooks.onRefused?.();
    return new CircuitOpenError(this.dependency, this.lastFailure());
  }

  private lastFailure(): string {
    const failure = this.policy.lastFailure;
    if (failure === undefined) return 'none';
    return 'error' in failure ? messageOf(failure.error) : 'a failed result';
  }
}
