import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readCpuSeconds } from './bench-process';

/** Busy and total CPU seconds of the whole machine since boot (all cores), from /proc/stat. */
const machineCpu = (): { busy: number; total: number } => {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / 100, total: (busy + idle + iowait) / 100 };
};

/** Redis and MariaDB as scripts/services.sh started them (absent when a server was already there). */
const servicePids = (): Record<string, number> => {
  const dir = join(process.env.COUPONKILL_HOME ?? join(homedir(), '.cache', 'couponkill'), 'services');
  const pids: Record<string, number> = {};
  for (const [name, file] of [
    ['redis-server', 'redis.pid'],
    ['mariadbd', 'mariadb.pid'],
  ] as const) {
    try {
      pids[name] = Number(readFileSync(join(dir, file), 'utf8').trim());
    } catch {
      // not started by services.sh: not accounted
    }
  }
  return pids;
};

export interface CpuWindow {
  readonly seconds: number;
  /** Cores the machine had busy on average, by anyone. */
  readonly machineBusyCores: number;
  /** Cores each accounted process used on average. */
  readonly coresByProcess: Record<string, number>;
  /** Busy cores not accounted to any process above: other people's work on a shared machine. */
  readonly otherBusyCores: number;
}

/**
 * Where the CPU went during a stretch of the run: per process (ours, Redis, MariaDB) and for the whole machine, so a
 * result can say whether the machine was saturated and how much of it was busy with something else.
 */
export class CpuAccounting {
  private start = { at: 0, machine: { busy: 0, total: 0 }, processes: {} as Record<string, number> };

  constructor(private readonly processes: () => Record<string, () => number>) {}

  begin(): void {
    this.start = { at: Date.now(), machine: machineCpu(), processes: this.snapshot() };
  }

  end(): CpuWindow {
    const seconds = (Date.now() - this.start.at) / 1000;
    const machine = machineCpu();
    const now = this.snapshot();
    const coresByProcess = Object.fromEntries(
      Object.entries(now).map(([name, cpu]) => [name, (cpu - (this.start.processes[name] ?? cpu)) / seconds]),
    );
    const machineBusyCores = (machine.busy - this.start.machine.busy) / seconds;
    const ours = Object.values(coresByProcess).reduce((a, b) => a + b, 0);
    return {
      seconds,
      machineBusyCores,
      coresByProcess,
      otherBusyCores: Math.max(0, machineBusyCores - ours),
    };
  }

  private snapshot(): Record<string, number> {
    const values: Record<string, number> = {};
    for (const [name, cpu] of Object.entries(this.processes())) values[name] = cpu();
    for (const [name, pid] of Object.entries(servicePids())) values[name] = readCpuSeconds(pid) ?? 0;
    return values;
  }
}
