import { ConcurrencyConflictError } from '../commands/concurrency-conflict-error';
import { GateRecoveringError } from '../commands/gate-recovery';
import { SeckillInProgressError, SeckillRefusedError } from '../commands/seckill-errors';
import { InvalidCredentialsError, SessionEndedError } from '../commands/user-handlers';
import { DomainError, type DomainErrorCode } from '../domain/shared/domain-error';
import { ApiError, unauthenticated } from '../infra/http/api-error';
import { withCommonErrors } from '../infra/http/error-handler';

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  VALIDATION_FAILED: 400,
  COUPON_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  NOT_ORDER_OWNER: 404,
  COUPON_ALREADY_EXISTS: 409,
  COUPON_CLOSED: 409,
  NOT_A_SECKILL_COUPON: 409,
  NOT_A_REGULAR_COUPON: 409,
  SALE_ALREADY_STARTED: 409,
  COUPON_ALREADY_INACTIVE: 409,
  COUPON_ALREADY_ACTIVE: 409,
  ORDER_ALREADY_EXISTS: 409,
  ORDER_ALREADY_CANCELLED: 409,
  ORDER_ALREADY_USED: 409,
  ORDER_CANCELLED: 409,
  ORDER_EXPIRED: 409,
  MIN_SPEND_NOT_MET: 422,
  USERNAME_TAKEN: 409,
  USER_NOT_FOUND: 404,
  INVALID_CREDENTIALS: 401,
  ACCOUNT_DISABLED: 403,
  ACCOUNT_PROTECTED: 403,
  OWN_ACCOUNT: 403,
  USER_ALREADY_DISABLED: 409,
  USER_ALREADY_ENABLED: 409,
  COUPON_INACTIVE: 409,
  RESERVATION_NOT_FOUND: 404,
  NOT_RESERVATION_OWNER: 404,
  RESERVATION_EXISTS: 409,
  RESERVATION_ALREADY_CANCELLED: 409,
  RESERVATION_NOT_PENDING: 409,
};

/** The write API's answers to what its handlers throw; `null` means "unexpected: log it and answer 500". */
export const toWriteApiError = withCommonErrors((error) => {
  if (error instanceof DomainError) {
    // Another buyer's order answers exactly as a missing one, as the read API does: order ids cannot be probed.
    if (error.code === 'NOT_ORDER_OWNER')
      return new ApiError(404, 'ORDER_NOT_FOUND', `order ${String(error.details?.orderId)} does not exist`);
    if (error.code === 'NOT_RESERVATION_OWNER')
      return new ApiError(
        404,
        'RESERVATION_NOT_FOUND',
        `reservation ${String(error.details?.reservationId)} does not exist`,
      );
    return new ApiError(DOMAIN_STATUS[error.code], error.code, error.message, error.details);
  }
  if (error instanceof SeckillRefusedError)
    return new ApiError(
      error.code === 'ACCOUNT_TOO_NEW' ? 403 : 409,
      error.code,
      error.message,
      error.orderIds.length > 0 ? { orderIds: error.orderIds } : undefined,
    );
  if (error instanceof SeckillInProgressError)
    return new ApiError(
      409,
      'SECKILL_IN_PROGRESS',
      error.message,
      { orderId: error.orderId },
      { 'Retry-After': '1' },
    );
  if (error instanceof InvalidCredentialsError)
    return new ApiError(401, 'INVALID_CREDENTIALS', error.message);
  if (error instanceof SessionEndedError) return unauthenticated(error.message);
  if (error instanceof ConcurrencyConflictError)
    return new ApiError(409, 'CONCURRENCY_CONFLICT', error.message, undefined, { 'Retry-After': '1' });
  if (error instanceof GateRecoveringError)
    return new ApiError(503, 'GATE_RECOVERING', error.message, undefined, { 'Retry-After': '1' });
  return null;
});
