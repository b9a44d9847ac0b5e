import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const RSS_SAMPLE_MS = 200;

/** Peak resident set size so far, from the kernel's high-water mark (Linux). */
const readPeakRss = (pid: number): number | null => {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
};

/** User + system CPU seconds a process has used so far (Linux), or null when it is gone. */
export const readCpuSeconds = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
};

/** USER_HZ: 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/**
 * A process the benchmark started, its output in a log file, its peak RSS tracked while it lives (a process that exits
 * by itself takes its high-water mark with it, so it is sampled).
 */
export class BenchProcess {
  private peakRss = 0;
  private lastCpuSeconds = 0;
  private readonly sampler: NodeJS.Timeout;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.sampler = setInterval(() => this.samplePeakRss(), RSS_SAMPLE_MS).unref();
    this.exited = once(child, 'exit').then(([code]) => {
      clearInterval(this.sampler);
      return code as number | null;
    });
  }

  static start(
    name: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
    stdout: 'log' | 'pipe' = 'log',
  ): BenchProcess {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    if (stdout === 'log') child.stdout.pipe(log);
    child.stderr.pipe(log);
    return new BenchProcess(name, child);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get stdout(): NodeJS.ReadableStream {
    if (!this.child.stdout) throw new Error(`${this.name} has no stdout`);
    return this.child.stdout;
  }

  /** Waits until `url` answers (2xx, or anything when `anyStatus`); fails early when the process dies first. */
  async waitHealthy(url: string, { anyStatus = false, timeoutMs = 60_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.hasExited()) {
      try {
        const response = await fetch(url);
        if (anyStatus || response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} did not become healthy at ${url}${this.hasExited() ? ' (it exited)' : ''}`);
  }

  private hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** CPU used so far; for a process that exited, as last sampled. */
  cpuSeconds(): number {
    this.samplePeakRss();
    return this.lastCpuSeconds;
  }

  peakRssBytes(): number {
    this.samplePeakRss();
    return this.peakRss;
  }

  /** SIGTERM (a graceful stop), SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    this.samplePeakRss();
    if (this.hasExited()) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs).unref();
    await this.exited;
    clearTimeout(timer);
  }

  private samplePeakRss(): void {
    if (this.child.pid === undefined) return;
    const rss = readPeakRss(this.child.pid);
    if (rss !== null && rss > this.peakRss) this.peakRss = rss;
    const cpu = readCpuSeconds(this.child.pid);
    if (cpu !== null) this.lastCpuSeconds = cpu;
  }
}
