import type { Seckill, SeckillSpec } from '../api/seckill-types';

/** A Seckill as the API server would hand it to the controller, for unit specs. */
export const seckillFixture = (spec: Partial<SeckillSpec> = {}, name = 'flash'): Seckill => ({
  apiVersion: 'ops.couponkill.io/v1',
  kind: 'Seckill',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: 3, resourceVersion: '42' },
  spec: { image: 'registry.local/couponkill:1.0.0', ...spec },
});
