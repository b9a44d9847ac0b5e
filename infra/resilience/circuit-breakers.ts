import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../commands/logger-port';
import {
  BREAKER_STATE_VALUES,
  DependencyBreaker,
  type BreakerReport,
  type BreakerSettings,
} from './dependency-breaker';

/** State of the breaker of each `dependency`: 0 closed, 1 half-open, 2 open (gauge). */
export const CIRCUIT_BREAKER_STATE = 'couponkill_circuit_breaker_state';
/** Calls refused unsent because the breaker of their `dependency` was open (counter). */
export const CIRCUIT_BREAKER_REFUSALS_TOTAL = 'couponkill_circuit_breaker_refusals_total';

/**
 * The circuit breakers of one process, one per dependency, all with the same settings, made on first use. Their state
 * is the gauge `couponkill_circuit_breaker_state{dependency}` (0 closed, 1 half-open, 2 open) and their refusals the
 * counter `couponkill_circuit_breaker_refusals_total{dependency}`; `/readyz` shows each with the failure that opened
 * it.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, DependencyBreaker>();
  private readonly refusals: Counter<'dependency'>;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const breakers = this.breakers;
    new Gauge({
      name: CIRCUIT_BREAKER_STATE,
      help: 'State of the circuit breaker in front of each dependency: 0 closed, 1 half-open (probing), 2 open',
      labelNames: ['dependency'],
      registers: [registry],
      collect() {
        for (const [dependency, breaker] of breakers)
          this.set({ dependency }, BREAKER_STATE_VALUES[breaker.state]);
      },
    });
    this.refusals = new Counter({
      name: CIRCUIT_BREAKER_REFUSALS_TOTAL,
      help: 'Calls refused at once, unsent, because the breaker of their dependency was open',
      labelNames: ['dependency'],
      registers: [registry],
    });
  }

  /**
   * The breaker of a dependency (`event store`, `redis`, `read shard 0`), made on the first call with `probe`: a ping of
   * the dependency itself, not through the breaker.
   */
  of(dependency: string, probe: () => Promise<unknown>): DependencyBreaker {
    let breaker = this.breakers.get(dependency);
    if (breaker === undefined) {
      const refused = this.refusals.labels({ dependency });
      breaker = new DependencyBreaker(dependency, this.settings, {
        probe,
        logger: this.logger,
        onRefused: () => refused.inc(),
      });
      this.breakers.set(dependency, breaker);
    }
    return breaker;
  }

  /** Stops every breaker's probes. */
  stop(): void {
    for (const breaker of this.breakers.values()) breaker.stop();
  }

  /** Every breaker made so far, by dependency. */
  reports(): Record<string, BreakerReport> {
    return Object.fromEntries(
      [...this.breakers].map(([dependency, breaker]) => [dependency, breaker.report()]),
    );
  }
}
