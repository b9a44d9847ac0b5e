import {
  scalingChecks,
  scalingMeasurements,
  scalingNotes,
  scalingTables,
} from './projection-scaling/scaling-report';
import { auditDetail, n, table, x } from './report-format';
import type { BenchResults, Target } from './results';
import { ratio } from './stats';

const MiB = 1024 * 1024;
const COUPONKILL_PROCESSES = ['write-api', 'read-api', 'relay', 'projector', 'replay'];

export const targetsOf = (r: Omit<BenchResults, 'targets' | 'passed'>): Target[] => {
  const ck = r.couponkill;
  const worstRss = Math.max(
    ...Object.entries(r.peakRssBytes)
      .filter(([name]) => COUPONKILL_PROCESSES.includes(name))
      .map(([, bytes]) => bytes),
    // The scale-out stage's replicas run this build too, saturated: the heaviest a projector gets.
    ...r.projectionScaling.runs.map((run) => run.projectorPeakRssBytes),
  );
  return [
    {
      name: 'accepted seckills/s ÷ bare node:http req/s',
      value: ratio(ck.acceptedPerSecond, r.baselines.bareHttp.requestsPerSecond),
      goal: '≥ 0.5',
      met: ratio(ck.acceptedPerSecond, r.baselines.bareHttp.requestsPerSecond) >= 0.5,
    },
    {
      name: 'accepted seckills/s ÷ naive seckill accepted/s',
      value: ratio(ck.acceptedPerSecond, r.baselines.naiveSeckill.acceptedPerSecond),
      goal: '≥ 10',
      met: ratio(ck.acceptedPerSecond, r.baselines.naiveSeckill.acceptedPerSecond) >= 10,
    },
    {
      name: 'projection lag p99 under load (s)',
      value: ck.lagDuringLoad.p99Seconds,
      goal: '< 1',
      met: ck.lagDuringLoad.p99Seconds < 1,
    },
    {
      name: 'read models converge after load (s)',
      value: ck.convergeSeconds ?? Number.POSITIVE_INFINITY,
      goal: '≤ 2',
      met: ck.convergeSeconds !== null && ck.convergeSeconds <= 2,
    },
    {
      name: 'replay events/s ÷ raw INSERT rows/s',
      value: ratio(ck.replay.eventsPerSecond, r.baselines.rawInsert.rowsPerSecond),
      goal: '≥ 0.5',
      met: ratio(ck.replay.eventsPerSecond, r.baselines.rawInsert.rowsPerSecond) >= 0.5,
    },
    {
      name: 'largest CouponKill peak RSS (MiB)',
      value: worstRss / MiB,
      goal: '≤ 512',
      met: worstRss <= 512 * MiB,
    },
  ];
};

/** The terminal report: measurements with their baselines and ratios, targets, correctness. */
export const renderReport = (r: BenchResults): string => {
  const { bareHttp, expressHttp, naiveSeckill, gateScript, rawInsert } = r.baselines;
  const ck = r.couponkill;
  const load = ck.load;
  const errors = Object.entries(load.outcomes)
    .filter(([code]) => code !== '201' && code !== '200')
    .map(([code, count]) => `${code} ${n(count)}`)
    .join(', ');
  const measurements = table([
    ['measurement', 'CouponKill', 'baseline', 'ratio'],
    [
      'accepted seckills/s (durable 201s)',
      n(ck.acceptedPerSecond),
      `bare node:http ${n(bareHttp.requestsPerSecond)} req/s`,
      x(ratio(ck.acceptedPerSecond, bareHttp.requestsPerSecond)),
    ],
    [
      '',
      '',
      `express 5 ${n(expressHttp.requestsPerSecond)} req/s`,
      x(ratio(ck.acceptedPerSecond, expressHttp.requestsPerSecond)),
    ],
    [
      '',
      '',
      `naive seckill ${n(naiveSeckill.acceptedPerSecond)} accepted/s`,
      x(ratio(ck.acceptedPerSecond, naiveSeckill.acceptedPerSecond)),
    ],
    [
      '',
      '',
      `gate Lua script ${n(gateScript.unpipelined)}/s`,
      x(ratio(ck.acceptedPerSecond, gateScript.unpipelined)),
    ],
    [
      '',
      '',
      `gate Lua script -P ${gateScript.pipeline} ${n(gateScript.pipelined)}/s`,
      x(ratio(ck.acceptedPerSecond, gateScript.pipelined)),
    ],
    [
      'all seckill requests/s',
      n(load.requestsPerSecond),
      `bare node:http ${n(bareHttp.requestsPerSecond)} req/s`,
      x(ratio(load.requestsPerSecond, bareHttp.requestsPerSecond)),
    ],
    [
      'latency p50 / p99 / p99.9 (ms)',
      `${n(load.latency.p50, 1)} / ${n(load.latency.p99, 1)} / ${n(load.latency.p99_9, 1)}`,
      `bare ${n(bareHttp.latency.p50, 1)} / ${n(bareHttp.latency.p99, 1)} / ${n(bareHttp.latency.p99_9, 1)}`,
      '',
    ],
    [
      '',
      '',
      `naive ${n(naiveSeckill.latency.p50, 1)} / ${n(naiveSeckill.latency.p99, 1)} / ${n(naiveSeckill.latency.p99_9, 1)}`,
      '',
    ],
    [
      'projection lag p50 / p99 during load',
      `${n(ck.lagDuringLoad.p50Seconds, 2)} s / ${n(ck.lagDuringLoad.p99Seconds, 2)} s`,
      `${n(ck.lagDuringLoad.p50Events)} / ${n(ck.lagDuringLoad.p99Events)} events`,
      '',
    ],
    [
      'projection lag p50 / p99 after load',
      `${n(ck.lagAfterLoad.p50Seconds, 2)} s / ${n(ck.lagAfterLoad.p99Seconds, 2)} s`,
      `${n(ck.lagAfterLoad.p50Events)} / ${n(ck.lagAfterLoad.p99Events)} events`,
      '',
    ],
    [
      'read models converge after load',
      ck.convergeSeconds === null ? 'never' : `${n(ck.convergeSeconds, 2)} s`,
      '',
      '',
    ],
    [
      `replay, ${n(ck.replay.events)} events, all read models`,
      `${n(ck.replay.eventsPerSecond)} ev/s`,
      `raw INSERT ×${rawInsert.rowsPerInsert} ${n(rawInsert.rowsPerSecond)} rows/s`,
      x(ratio(ck.replay.eventsPerSecond, rawInsert.rowsPerSecond)),
    ],
    ...ck.replay.projections.map((p) => [
      `  replay ${p.projection}`,
      `${n(p.eventsPerSecond)} ev/s`,
      '',
      x(ratio(p.eventsPerSecond, rawInsert.rowsPerSecond)),
    ]),
    ...scalingMeasurements(r.projectionScaling),
  ]);
  const cpu = ck.cpuDuringLoad;
  const rss = table([
    ['process', 'peak RSS (MiB)', 'cores busy during seckill load'],
    ...Object.entries(r.peakRssBytes).map(([name, bytes]) => [
      name,
      n(bytes / MiB, 1),
      cpu.coresByProcess[name] === undefined ? '' : n(cpu.coresByProcess[name] ?? 0, 2),
    ]),
    ...Object.entries(cpu.coresByProcess)
      .filter(([name]) => r.peakRssBytes[name] === undefined)
      .map(([name, cores]) => [name, '', n(cores, 2)]),
    ['whole machine (of ' + String(r.machine.cores) + ' cores)', '', n(cpu.machineBusyCores, 2)],
    ['  of which not the benchmark (other users)', '', n(cpu.otherBusyCores, 2)],
  ]);
  const targets = table([
    ['target (same run)', 'value', 'goal', 'met'],
    ...r.targets.map((t) => [
      t.name,
      Number.isFinite(t.value) ? n(t.value, 2) : '∞',
      t.goal,
      t.met ? 'yes' : 'NO',
    ]),
  ]);
  const checks = table([
    ['correctness', 'result', 'detail'],
    ...r.checks.map((c) => [c.name, c.passed ? 'pass' : 'FAIL', c.detail]),
    ['read models = event store (live)', r.audits.live.equal ? 'pass' : 'FAIL', auditDetail(r.audits.live)],
    [
      'read models = event store (replayed)',
      r.audits.replay.equal ? 'pass' : 'FAIL',
      auditDetail(r.audits.replay),
    ],
    ...scalingChecks(r.projectionScaling),
  ]);
  return [
    `CouponKill benchmark ${r.date} · ${r.machine.cores} cores, ${n(r.machine.memoryMiB)} MiB · ${r.machine.cpu} · node ${r.machine.node}`,
    `${n(load.responses)} seckill requests on ${r.options.connections as number} connections; outcomes: 201 ${n(load.outcomes['201'] ?? 0)}, 200 (replayed) ${n(load.outcomes['200'] ?? 0)}${errors ? `, ${errors}` : ''}; transport errors ${load.transportErrors}`,
    '',
    measurements,
    '',
    rss,
    '',
    ...scalingTables(r.projectionScaling).flatMap((t) => [t, '']),
    ...scalingNotes(r.projectionScaling),
    '',
    targets,
    '',
    checks,
    '',
    r.passed ? 'PASSED: every correctness check holds.' : 'FAILED: a correctness check does not hold.',
  ].join('\n');
};
