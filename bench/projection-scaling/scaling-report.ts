import { PROJECTION_NAMES } from '../../projections/projection';
import { auditDetail, n, table, x } from '../report-format';
import { ratio } from '../stats';
import type { ProjectionScaling, ScalingRun } from './scaling-results';

const MiB = 1024 * 1024;

const replicasOf = (count: number): string => `${String(count)} ${count === 1 ? 'replica' : 'replicas'}`;

/** Cores the replicas used together over the drain. */
const projectorCores = (run: ScalingRun): number =>
  Object.entries(run.cpu.coresByProcess)
    .filter(([name]) => name.startsWith('projector '))
    .reduce((sum, [, cores]) => sum + cores, 0);

/**
 * Rows of the measurements table: this build's throughput with 1 replica beside the previous design's one replica,
 * and with 2 and 4 replicas beside its own 1 replica.
 */
export const scalingMeasurements = (s: ProjectionScaling): string[][] => {
  const one = s.runs.find((run) => run.replicas === 1);
  return s.runs.map((run) => {
    const label = `projection throughput, ${replicasOf(run.replicas)} (events/s)`;
    if (run.replicas === 1) {
      if (!s.previous.measured)
        return [label, n(run.eventsPerSecond), `previous design: not measured (${s.previous.cause})`, ''];
      const before = s.previous.run.eventsPerSecond;
      return [
        label,
        n(run.eventsPerSecond),
        `previous design, 1 replica ${n(before)} ev/s`,
        x(ratio(run.eventsPerSecond, before)),
      ];
    }
    return [
      label,
      n(run.eventsPerSecond),
      one ? `1 replica ${n(one.eventsPerSecond)} ev/s` : '',
      one ? x(ratio(run.eventsPerSecond, one.eventsPerSecond)) : '',
    ];
  });
};

/** The configurations in the order measured, each with its label. */
const configurations = (s: ProjectionScaling): [string, ScalingRun][] => [
  ...(s.previous.measured ? [['previous design, 1 replica', s.previous.run] as [string, ScalingRun]] : []),
  ...s.runs.map((run): [string, ScalingRun] => [replicasOf(run.replicas), run]),
];

/**
 * Two tables: where the time went in each configuration (start-up, first batch, each read model's lag reaching 0), and
 * where the CPU went meanwhile, which says why more replicas gain what they gain on this machine.
 */
export const scalingTables = (s: ProjectionScaling): string[] => [
  table([
    [
      `projection scale-out: ${n(s.events)} events, ${String(s.partitions)} partitions`,
      'events/s',
      'ready s',
      'applying s',
      'lag 0 s',
      `${PROJECTION_NAMES.join(' / ')} lag 0 s`,
    ],
    ...configurations(s).map(([name, run]) => [
      name,
      n(run.eventsPerSecond),
      n(run.readySeconds, 1),
      run.firstAppliedSeconds === null ? '' : n(run.firstAppliedSeconds, 1),
      n(run.drainSeconds, 1),
      PROJECTION_NAMES.map((projection) => {
        const seconds = run.readModelSeconds[projection];
        return seconds === undefined ? '–' : n(seconds, 1);
      }).join(' / '),
    ]),
  ]),
  table([
    [
      'cores busy during the drain',
      'projectors',
      'per replica',
      'mariadbd',
      'redis',
      'read-api',
      'machine',
      'other users',
      'replica RSS MiB',
    ],
    ...configurations(s).map(([name, run]) => {
      const cores = projectorCores(run);
      const busy = run.cpu.coresByProcess;
      return [
        name,
        n(cores, 2),
        n(cores / run.replicas, 2),
        n(busy.mariadbd ?? 0, 2),
        n(busy['redis-server'] ?? 0, 2),
        n(busy['read-api'] ?? 0, 2),
        n(run.cpu.machineBusyCores, 2),
        n(run.cpu.otherBusyCores, 2),
        n(run.projectorPeakRssBytes / MiB, 1),
      ];
    }),
  ]),
];

/** What the figures count, and where the baseline came from (or why it is missing). */
export const scalingNotes = (s: ProjectionScaling): string[] => [
  `events/s: the ${n(s.events)} events of the store ÷ seconds from the projectors' start to lag 0 in every read model`,
  '  (orders, coupons, stats each apply the events they use); the relay had put all of them on the bus first.',
  'ready s: every replica answers /readyz; applying s: every read model (every partition) has applied something.',
  "cores: CPU over the drain; replica RSS: the largest replica's peak.",
  s.previous.measured
    ? `previous design: ${s.previous.dir}${s.previous.commit ? ` (${s.previous.commit})` : ''}, one stream, one replica.`
    : `previous design not measured (${s.previous.cause}): ${s.previous.reason}`,
];

/** Correctness rows: every configuration of this build left read models equal to the event store. */
export const scalingChecks = (s: ProjectionScaling): string[][] =>
  s.runs.map((run) => [
    `read models = event store (${replicasOf(run.replicas)})`,
    run.audit?.equal ? 'pass' : 'FAIL',
    run.audit ? auditDetail(run.audit) : 'not audited',
  ]);
