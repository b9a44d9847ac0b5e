import type { IdGenerator } from '../../../commands/id-generator-port';

/**
 * Deterministic ids: orders `o-1`, `o-2`…, everything else `id-1`, `id-2`…. The real generator (infra/ids) also
 * hashes the buyer into an order id for the read side's sharding; nothing on the write side reads that.
 */
export class SequentialIds implements IdGenerator {
  private orders = 0;
  private others = 0;

  constructor(
    private readonly orderPrefix = 'o-',
    private readonly idPrefix = 'id-',
  ) {}

  orderId(_userId: string): string {
    this.orders += 1;
    return `${this.orderPrefix}${this.orders}`;
  }

  newId(): string {
    this.others += 1;
    return `${this.idPrefix}${this.others}`;
  }

  reservationId(couponId: string, userId: string, n: number): string {
    return `r-${couponId}-${userId}-${String(n)}`;
  }
}
