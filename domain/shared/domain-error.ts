/**
 * A rule of the domain said no. `code` is stable and machine-readable; the HTTP edge maps it to a status.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'COUPON_NOT_FOUND'
  | 'COUPON_ALREADY_EXISTS'
  | 'COUPON_CLOSED'
  /** A command for one type of coupon (a window change, a claim) named a coupon of the other type. */
  | 'NOT_A_SECKILL_COUPON'
  | 'NOT_A_REGULAR_COUPON'
  /** The sale window can only be moved before it opens. */
  | 'SALE_ALREADY_STARTED'
  | 'COUPON_ALREADY_INACTIVE'
  | 'COUPON_ALREADY_ACTIVE'
  | 'ORDER_NOT_FOUND'
  | 'ORDER_ALREADY_EXISTS'
  | 'ORDER_ALREADY_CANCELLED'
  | 'ORDER_ALREADY_USED'
  | 'ORDER_CANCELLED'
  | 'ORDER_EXPIRED'
  | 'MIN_SPEND_NOT_MET'
  | 'NOT_ORDER_OWNER'
  | 'USERNAME_TAKEN'
  | 'USER_NOT_FOUND'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_DISABLED'
  | 'ACCOUNT_PROTECTED'
  | 'OWN_ACCOUNT'
  | 'USER_ALREADY_DISABLED'
  | 'USER_ALREADY_ENABLED'
  | 'COUPON_INACTIVE'
  | 'RESERVATION_NOT_FOUND'
  | 'RESERVATION_EXISTS'
  | 'RESERVATION_ALREADY_CANCELLED'
  | 'RESERVATION_NOT_PENDING'
  | 'NOT_RESERVATION_OWNER';

/**
 * A value broke a rule of the domain: VALIDATION_FAILED naming the field, with `details.issues` shaped as the HTTP
 * edge shapes its own (`[{ path, message }]`), so every refusal names its field whichever layer made it.
 */
export const invalid = (field: string, rule: string): DomainError =>
  new DomainError('VALIDATION_FAILED', `${field} ${rule}`, { issues: [{ path: field, message: rule }] });
