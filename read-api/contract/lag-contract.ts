import { z } from 'zod';
import { positionString, type ApiOperation, type Same } from '../../infra/http/openapi';
import type { LagReport } from '../../projections/projection-lag';
import type { ProjectionName } from '../../projections/projection';

const projectionLag = z
  .strictObject({
    generation: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'the live generation; null before the first build' }),
    checkpoint: positionString,
    lag: z.number().int().meta({ description: 'head − checkpoint: events the read model has not applied' }),
    deadLetters: z.number().int().min(0).meta({ description: 'events the live generation set aside' }),
    partitions: z
      .record(
        z.string().regex(/^\d+$/),
        z.strictObject({
          checkpoint: positionString,
          lag: z.number().int().meta({ description: "head − the partition's checkpoint" }),
        }),
      )
      .meta({
        description:
          "per partition of the projection's stream (keys 0 … partitions−1): its checkpoint, the lowest over the shards",
      }),
  })
  .meta({ id: 'ProjectionLag' });

export const lagReport = z
  .strictObject({
    head: positionString.meta({ description: "the event store's head position" }),
    projections: z
      .strictObject({
        orders: projectionLag.optional(),
        coupons: projectionLag.optional(),
        stats: projectionLag.optional(),
        reservations: projectionLag.optional(),
        notifications: projectionLag.optional(),
      } satisfies Record<ProjectionName, unknown>)
      .meta({ description: 'the read models this process serves' }),
    maxLag: z.number().int().min(0),
  })
  .meta({ id: 'LagReport', description: 'how far each read model is behind the event store' });

const _projectionLag: Same<z.output<typeof projectionLag>, LagReport['projections'][string]> = true;
const _lagReport: Same<
  Omit<z.output<typeof lagReport>, 'projections'>,
  Omit<LagReport, 'projections'>
> = true;

export const projectionLagOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/projections/lag',
  operationId: 'projectionLag',
  summary: 'Read-model lag',
  description:
    'Anyone. At most a second old here; the ops listener computes it fresh (what autoscalers poll).',
  tag: 'operations',
  access: 'anyone',
  answers: { 200: { description: 'the lag report', schema: lagReport } },
  errors: ['DEPENDENCY_UNAVAILABLE', 'OVERLOADED', 'INTERNAL_ERROR'],
};
