import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BENCH = resolve(__dirname, '../dist/bench/main.js');

/** The benchmark end to end with tiny parameters (npm run build first): it runs, and its correctness checks pass. */
describe('npm run bench -- --quick (smoke, no timing assertions)', () => {
  it('exits 0 with every correctness check passed', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'couponkill-bench-smoke-')), 'results.json');
    const args = [
      ...['--quick', '--stock', '200', '--requests', '400', '--connections', '8', '--baseline-seconds', '1'],
      ...['--redis-requests', '2000', '--raw-insert-rows', '2000', '--replay-events', '2000'],
      ...['--scaling-events', '2000', '--out', out],
    ];
    const child = spawn(process.execPath, [BENCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));

    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('PASSED') });
    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      passed: boolean;
      checks: { passed: boolean }[];
      audits: { live: { equal: boolean }; replay: { equal: boolean } };
      couponkill: { load: { accepted: number } };
    };
    expect(results.passed).toBe(true);
    expect(results.checks.every((c) => c.passed)).toBe(true);
    expect(results.audits).toEqual({
      live: expect.objectContaining({ equal: true }),
      replay: expect.objectContaining({ equal: true }),
    });
    expect(results.couponkill.load.accepted).toBe(200);
    // Every stage starts its own processes: the scale-out stage alone starts a relay and 1 + 2 + 4 projectors.
  }, 360_000);
});
