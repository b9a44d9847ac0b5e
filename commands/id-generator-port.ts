export interface IdGenerator {
  /** An order id that also names its buyer's shard (see infra/ids). */
  orderId(userId: string): string;
  newId(): string;
}
