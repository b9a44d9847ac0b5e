import { Presets, SingleBar } from 'cli-progress';

/** Progress of one piece of long work, on stderr (stdout keeps the task's answer). */
export interface Progress {
  update(done: number, total: number): void;
  /** Ends the bar, or prints the last line when it was not printed yet. */
  stop(): void;
}

/** Lines on a pipe or in a log file: the first update, then at most one every this many ms, then the last. */
const LINE_EVERY_MS = 2000;

/**
 * A bar when stderr is a terminal (cli-progress, as `replay` always had), plain lines otherwise, such as
 * `rebuild-stock: 12000/50000 positions (24%)`: a bar's redraws mean nothing in a log file.
 */
export const startProgress = (label: string, unit: string): Progress => {
  const started = Date.now();
  const speed = (done: number) => Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${label.padEnd(8)} |{bar}| {percentage}% | {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted}`,
        hideCursor: true,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    bar.start(1, 0, { speed: 0 });
    return {
      update: (done, total) => {
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { speed: speed(done) });
      },
      stop: () => {
        bar.update(bar.getTotal());
        bar.stop();
      },
    };
  }
  let last: { done: number; total: number } | null = null;
  let printed: { done: number; total: number } | null = null;
  let printedAt = 0;
  const print = (p: { done: number; total: number }) => {
    const percent = p.total > 0 ? Math.floor((Math.min(p.done, p.total) / p.total) * 100) : 100;
    process.stderr.write(`${label}: ${p.done}/${p.total} ${unit} (${percent}%, ${speed(p.done)}/s)\n`);
    printed = p;
    printedAt = Date.now();
  };
  return {
    update: (done, total) => {
      last = { done, total };
      if (printed === null || Date.now() - printedAt >= LINE_EVERY_MS) print(last);
    },
    stop: () => {
      if (last && last !== printed) print(last);
    },
  };
};
