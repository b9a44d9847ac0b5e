import { z } from 'zod';

const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID');

export const couponIdParam = z.strictObject({ couponId: uuid });
export const orderIdParam = z.strictObject({ orderId: uuid });
