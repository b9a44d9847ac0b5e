export interface IdGenerator {
  /** An order id that also names its buyer's shard (see infra/ids). */
  orderId(userId: string): string;
  newId(): string;
  /**
   * The id of a buyer's `n`th reservation of a coupon (n = 0, 1, …): derived, never drawn, always the same for the
   * same three, so the reservation's stream is itself the key that keeps a buyer to one live reservation of a coupon
   * (commands/reservation-handlers.ts). Like an order id, it names its buyer's read shard.
   */
  reservationId(couponId: string, userId: string, n: number): string;
}
