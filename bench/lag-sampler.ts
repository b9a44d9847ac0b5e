import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from './stats';

interface LagSample {
  readonly atMs: number;
  readonly head: number;
  /** Events the slowest read model is behind the head. */
  readonly lagEvents: number;
  /** How long ago the oldest event not yet applied everywhere was appended (approximated from earlier samples). */
  readonly lagSeconds: number;
}

export interface LagSummary {
  readonly samples: number;
  readonly p50Events: number;
  readonly p99Events: number;
  readonly p50Seconds: number;
  readonly p99Seconds: number;
}

const SAMPLE_MS = 100;

/**
 * Samples the read side's `GET /api/v1/projections/lag` (head − slowest checkpoint) every 100 ms. Lag in seconds is
 * the age of the oldest unapplied event: the time since the head first passed the slowest checkpoint, which the
 * sampled head history tells to within one interval.
 */
export class LagSampler {
  private readonly samples: LagSample[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly lagUrl: string) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.sampleOnce().catch(() => undefined);
        await sleep(SAMPLE_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Polls until every read model has applied a head that stopped moving; returns when that was seen. */
  async waitConverged(sinceMs: number, timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const sample = await this.sampleOnce().catch(() => null);
      if (sample && sample.lagEvents === 0 && sample.atMs > sinceMs) return sample.atMs;
      await sleep(20);
    }
    return null;
  }

  summary(fromMs: number, toMs: number): LagSummary {
    const window = this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
    const events = window.map((s) => s.lagEvents);
    const seconds = window.map((s) => s.lagSeconds);
    return {
      samples: window.length,
      p50Events: percentile(events, 50),
      p99Events: percentile(events, 99),
      p50Seconds: percentile(seconds, 50),
      p99Seconds: percentile(seconds, 99),
    };
  }

  private async sampleOnce(): Promise<LagSample> {
    const response = await fetch(this.lagUrl);
    const report = (await response.json()) as { head: string; maxLag: number };
    const atMs = Date.now();
    const head = Number(report.head);
    const checkpoint = head - report.maxLag;
    const firstPast = this.samples.find((s) => s.head > checkpoint);
    const lagSeconds = report.maxLag === 0 ? 0 : (atMs - (firstPast?.atMs ?? atMs)) / 1000;
    const sample = { atMs, head, lagEvents: report.maxLag, lagSeconds };
    this.samples.push(sample);
    return sample;
  }
}
