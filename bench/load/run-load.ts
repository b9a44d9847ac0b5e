import { join } from 'node:path';
import { BenchProcess } from '../bench-process';
import { LOAD_GENERATOR } from '../paths';
import type { LoadPlan, LoadResult } from './load-plan';

export interface MeasuredLoad {
  readonly result: LoadResult;
  readonly generatorPeakRssBytes: number;
}

/** Runs one load generator process to completion and returns what it measured. */
export const runLoad = async (
  plan: LoadPlan,
  logDir: string,
  onTimedPartStarts: (generator: BenchProcess) => void = () => undefined,
): Promise<MeasuredLoad> => {
  const generator = BenchProcess.start(
    `load-${plan.name}`,
    [LOAD_GENERATOR, JSON.stringify(plan)],
    { PATH: process.env.PATH },
    join(logDir, `load-${plan.name}.log`),
    'pipe',
  );
  let output = '';
  let started = false;
  generator.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!started && output.startsWith('ready\n')) {
      started = true;
      onTimedPartStarts(generator);
    }
  });
  const code = await generator.exited;
  if (code !== 0) throw new Error(`load generator ${plan.name} exited with ${String(code)} (see ${logDir})`);
  const result = JSON.parse(output.slice(output.indexOf('\n') + 1)) as LoadResult;
  return { result, generatorPeakRssBytes: generator.peakRssBytes() };
};
