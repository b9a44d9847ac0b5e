import type { Seckill } from '../api/seckill-types';
import { seckillFixture } from '../test-support/seckill-fixture';
import { computeStatus, statusChanged, type ObservedDeployment, type Observations } from './status';

const T0 = new Date('2026-11-25T10:00:00Z');
const T1 = new Date('2026-11-25T10:05:00Z');
const ready: ObservedDeployment = {
  generation: 2,
  replicas: 2,
  observedGeneration: 2,
  readyReplicas: 2,
  updatedReplicas: 2,
};
const allReady = { writeApi: ready, readApi: ready, relay: ready, projector: ready };
const observed = (o: Partial<Observations> = {}): Observations => ({
  deployments: {},
  lag: undefined,
  error: undefined,
  unsupported: [],
  ...o,
});
const condition = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('Seckill status', () => {
  it('is Pending before any Deployment exists', () => {
    const status = computeStatus(seckillFixture(), observed(), T0);
    expect(status.phase).toBe('Pending');
    expect(status.readyServices).toBe('0/4');
    expect(status.observedGeneration).toBe(3);
  });

  it('is Progressing while a Deployment is not rolled out, naming it', () => {
    const status = computeStatus(
      seckillFixture(),
      observed({ deployments: { ...allReady, relay: { ...ready, readyReplicas: 1 } } }),
      T0,
    );
    expect(status.phase).toBe('Progressing');
    expect(status.readyServices).toBe('3/4');
    expect(status.services?.relay).toEqual({
      enabled: true,
      readyReplicas: 1,
      totalReplicas: 2,
      phase: 'Progressing',
    });
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ServicesNotReady',
      message: 'not ready: relay',
    });
    expect(condition(status, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
  });

  it('counts a Deployment whose controller has not seen its generation as not rolled out', () => {
    const status = computeStatus(
      seckillFixture(),
      observed({ deployments: { ...allReady, projector: { ...ready, generation: 3 } } }),
      T0,
    );
    expect(status.services?.projector?.phase).toBe('Progressing');
  });

  it('is Ready when every enabled service is, ignoring disabled ones', () => {
    const spec = { services: { relay: { enabled: false } } };
    const status = computeStatus(
      seckillFixture(spec),
      observed({ deployments: { writeApi: ready, readApi: ready, projector: ready } }),
      T0,
    );
    expect(status.phase).toBe('Ready');
    expect(status.readyServices).toBe('3/3');
    expect(status.services?.relay).toEqual({
      enabled: false,
      readyReplicas: 0,
      totalReplicas: 0,
      phase: 'Disabled',
    });
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AllServicesReady',
      observedGeneration: 3,
    });
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('is Degraded when an apply failed or a needed CRD is missing', () => {
    const failed = computeStatus(
      seckillFixture(),
      observed({ deployments: allReady, error: 'apply Service/x: 422' }),
      T0,
    );
    expect(failed.phase).toBe('Degraded');
    expect(condition(failed, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ReconcileFailed',
      message: 'apply Service/x: 422',
    });
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    const missing = computeStatus(seckillFixture(), observed({ unsupported: ['scaling.keda (…)'] }), T0);
    expect(condition(missing, 'Degraded')).toMatchObject({ status: 'True', reason: 'MissingCRD' });
  });

  it('carries the projection lag when known and leaves it out when not', () => {
    expect(computeStatus(seckillFixture(), observed({ lag: 17 }), T0).projectionLag).toBe(17);
    expect(computeStatus(seckillFixture(), observed(), T0)).not.toHaveProperty('projectionLag');
  });

  it('moves lastTransitionTime only when a condition flips', () => {
    const first = computeStatus(seckillFixture(), observed(), T0);
    const withStatus: Seckill = { ...seckillFixture(), status: first };
    const same = computeStatus(withStatus, observed(), T1);
    expect(condition(same, 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:00:00Z');
    expect(statusChanged(first, same)).toBe(false);
    const flipped = computeStatus(withStatus, observed({ deployments: allReady }), T1);
    expect(condition(flipped, 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:05:00Z');
    expect(condition(flipped, 'Degraded')?.lastTransitionTime).toBe('2026-11-25T10:00:00Z');
    expect(statusChanged(first, flipped)).toBe(true);
  });
});
