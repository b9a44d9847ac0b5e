import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RENAMED, withLegacyNames } from './legacy-names';

/** A registry as a process builds one: renamed families of each type beside one that was never renamed. */
const exposition = async (): Promise<string> => {
  const registry = new Registry();
  registry.setDefaultLabels({ role: 'write-api' });
  new Counter({
    name: 'couponkill_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['status'],
    registers: [registry],
  }).inc({ status: '200' }, 3);
  new Histogram({
    name: 'couponkill_http_request_duration_seconds',
    help: 'HTTP latency',
    buckets: [0.1, 1],
    registers: [registry],
  }).observe(0.5);
  new Gauge({ name: 'couponkill_projection_dead_letters', help: 'gauge', registers: [registry] }).set(2);
  new Counter({
    name: 'couponkill_projection_dead_letters_total',
    help: 'counter',
    registers: [registry],
  }).inc(4);
  new Gauge({ name: 'process_open_fds', help: 'not renamed', registers: [registry] }).set(7);
  return registry.metrics();
};

describe('withLegacyNames', () => {
  it('serves a renamed counter under both names, each keeping _total, with a deprecation note', async () => {
    const text = withLegacyNames(await exposition());
    expect(text).toContain('couponkill_http_requests_total{status="200",role="write-api"} 3');
    expect(text).toContain('\nhttp_requests_total{status="200",role="write-api"} 3');
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toMatch(
      /^# HELP http_requests_total HTTP requests \(deprecated: renamed to couponkill_http_requests_total, removed in 0\.3\)$/m,
    );
  });

  it("carries a histogram's _bucket, _sum and _count over", async () => {
    const text = withLegacyNames(await exposition());
    for (const sample of [
      'http_request_duration_seconds_bucket{le="0.1",role="write-api"} 0',
      'http_request_duration_seconds_bucket{le="+Inf",role="write-api"} 1',
      'http_request_duration_seconds_sum{role="write-api"} 0.5',
      'http_request_duration_seconds_count{role="write-api"} 1',
    ])
      expect(text.split('\n')).toContain(sample);
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('keeps a family whose name prefixes another apart from it', async () => {
    const lines = withLegacyNames(await exposition()).split('\n');
    expect(lines).toContain('projection_dead_letters{role="write-api"} 2');
    expect(lines).toContain('projection_dead_letters_total{role="write-api"} 4');
    expect(lines.filter((l) => l.startsWith('# TYPE projection_dead_letters '))).toEqual([
      '# TYPE projection_dead_letters gauge',
    ]);
  });

  it('leaves families that were never renamed, and every original line, as they are', async () => {
    const original = await exposition();
    const text = withLegacyNames(original);
    expect(text.split('\n').filter((l) => l.includes('process_open_fds'))).toEqual(
      original.split('\n').filter((l) => l.includes('process_open_fds')),
    );
    const lines = text.split('\n');
    let at = 0;
    for (const line of original.split('\n')) {
      at = lines.indexOf(line, at);
      expect(at).toBeGreaterThanOrEqual(0);
    }
  });

  it('puts each copy right after its family, so every family stays contiguous', async () => {
    const names = withLegacyNames(await exposition())
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]);
    expect(names).toEqual([
      'couponkill_http_requests_total',
      'http_requests_total',
      'couponkill_http_request_duration_seconds',
      'http_request_duration_seconds',
      'couponkill_projection_dead_letters',
      'projection_dead_letters',
      'couponkill_projection_dead_letters_total',
      'projection_dead_letters_total',
      'process_open_fds',
    ]);
  });

  it('renames each family once: new names carry the prefix, old names are distinct and unprefixed', () => {
    for (const [name, old] of RENAMED) {
      expect(name).toMatch(/^couponkill_[a-z_]+$/);
      expect(old).not.toMatch(/^couponkill_/);
    }
    expect(new Set(RENAMED.values()).size).toBe(RENAMED.size);
  });
});
