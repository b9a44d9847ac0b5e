import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { RESPONSE_HEADERS } from './response-headers';

/**
 * The HTTP contract both APIs publish (OpenAPI 3.1, served at `/openapi.json`), built from the same zod schemas the
 * routes validate requests with. Each API lists its operations (write-api/contract/, read-api/contract/); this kit
 * turns them into a document: the error body of every status with the exact codes the operation can answer, the
 * headers every answer carries, the bearer scheme.
 */

type Schema = z.ZodType;

/** What an error code means: its status, when it is answered, its `details` and its headers. */
interface ErrorSpec {
  readonly status: number;
  readonly description: string;
  /** The shape of `error.details`, for the codes that carry details. */
  readonly details?: Schema;
  /** `details` is always there (else only sometimes). */
  readonly detailsAlways?: boolean;
  /** Headers this answer always carries besides those of every answer. */
  readonly headers?: readonly ErrorHeader[];
}

/** The headers an error answer may carry beyond those of every answer. */
const ERROR_HEADERS = ['Retry-After', 'WWW-Authenticate', 'RateLimit-Policy', 'RateLimit'] as const;
type ErrorHeader = (typeof ERROR_HEADERS)[number];

const digits = z.string().regex(/^[0-9]+$/);

/** Ids in answers: lowercase UUIDs (coupons, orders). */
export const uuidString = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** Event-store positions and revisions in answers: decimal strings (they may pass 2^53). */
export const positionString = digits;

/**
 * Every error code of both APIs (`{"error": {"code", "message", "details"?}}`): its status, what it means, the shape
 * of its details. A code has one status. Which codes an operation can answer is part of the operation.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    description:
      'a field, parameter or header breaks its rule (unknown fields, wrong types, out-of-range numbers, bad ids); `details.issues[].path` names the field',
    details: z.strictObject({
      issues: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    }),
  },
  MALFORMED_JSON: { status: 400, description: 'the body is not a JSON object or array' },
  MALFORMED_URL: { status: 400, description: 'a path parameter holds a malformed percent-escape' },
  MALFORMED_BODY: { status: 400, description: 'the body does not decode as its `Content-Encoding` says' },
  BAD_REQUEST: {
    status: 400,
    description: 'the body could not be read (aborted, or not as long as announced)',
  },
  UNAUTHENTICATED: {
    status: 401,
    description:
      'the bearer token is missing, malformed, forged, expired, issued in the future or lives longer than allowed; where the account is read again (renewal, password change, administration of users), also when its password was changed after the login the token descends from',
    headers: ['WWW-Authenticate'],
  },
  INVALID_CREDENTIALS: {
    status: 401,
    description: 'unknown username or wrong password (at a password change: the old password is wrong)',
  },
  FORBIDDEN: { status: 403, description: "the caller's role may not do this, or the data is another user's" },
  ACCOUNT_TOO_NEW: {
    status: 403,
    description:
      "the coupon requires an account at least `minAccountAgeSeconds` old and the buyer's is younger, or its token predates tokens carrying the registration time (log in again)",
  },
  ACCOUNT_DISABLED: {
    status: 403,
    description:
      'the account is disabled by an administrator: it cannot log in, renew a token or change its password (tokens already out end with their lifetime)',
  },
  ACCOUNT_PROTECTED: {
    status: 403,
    description:
      'the account is the configured administrator (`COUPONKILL_ADMIN_USERNAME`), which is never disabled',
  },
  OWN_ACCOUNT: { status: 403, description: 'an administrator cannot disable or enable their own account' },
  COUPON_NOT_FOUND: { status: 404, description: 'no such coupon' },
  USER_NOT_FOUND: { status: 404, description: 'no user has this username' },
  ORDER_NOT_FOUND: {
    status: 404,
    description: "no such order, or another buyer's (answered alike, so order ids cannot be probed)",
  },
  RESERVATION_NOT_FOUND: {
    status: 404,
    description:
      "no such reservation, or another buyer's (answered alike, so reservation ids cannot be probed)",
  },
  NOT_FOUND: {
    status: 404,
    description: 'no route has this method and path (paths match exactly, case and trailing slash included)',
  },
  SOLD_OUT: { status: 409, description: 'the coupon is sold out' },
  LIMIT_REACHED: {
    status: 409,
    description:
      "the buyer holds as many of the coupon as one buyer may; `details.orderIds` are the buyer's live orders",
    details: z.strictObject({ orderIds: z.array(z.string()) }),
  },
  SALE_NOT_STARTED: { status: 409, description: 'the sale has not started yet' },
  SALE_ENDED: { status: 409, description: 'the sale has ended' },
  COUPON_CLOSED: { status: 409, description: 'the coupon is closed' },
  COUPON_INACTIVE: {
    status: 409,
    description:
      'an administrator deactivated the coupon: nothing is sold or claimed until it is reactivated',
  },
  NOT_A_SECKILL_COUPON: {
    status: 409,
    description:
      'the coupon is REGULAR: it is claimed (`POST /api/v1/coupons/{couponId}/claim`), not sold in a window nor reserved ahead of one',
  },
  NOT_A_REGULAR_COUPON: {
    status: 409,
    description:
      'the coupon is SECKILL: it is bought in its sale window (`POST /api/v1/seckill/{couponId}`), not claimed',
  },
  COUPON_EXPIRED: {
    status: 409,
    description: "the coupon's fixed `validUntil` has passed: an order of it could no longer be used",
  },
  SALE_ALREADY_STARTED: {
    status: 409,
    description:
      'the sale window has opened: it can no longer be changed nor reserved ahead of; `details.saleStartsAt` is when it opened',
    details: z.strictObject({ saleStartsAt: z.string() }),
    detailsAlways: true,
  },
  COUPON_ALREADY_INACTIVE: { status: 409, description: 'the coupon is deactivated already' },
  COUPON_ALREADY_ACTIVE: { status: 409, description: 'the coupon is not deactivated' },
  SECKILL_IN_PROGRESS: {
    status: 409,
    description:
      'an earlier request with this `Idempotency-Key` is still being stored; `details.orderId` is its order',
    details: z.strictObject({ orderId: z.string() }),
    detailsAlways: true,
    headers: ['Retry-After'],
  },
  ORDER_ALREADY_CANCELLED: { status: 409, description: 'the order is already cancelled' },
  ORDER_ALREADY_USED: { status: 409, description: 'the order is already used' },
  ORDER_CANCELLED: { status: 409, description: 'the order was cancelled and cannot be used' },
  ORDER_EXPIRED: {
    status: 409,
    description:
      "the order's validity has ended (at `details.validUntil`): it can be neither used nor cancelled, whether or not its expiry is stored yet",
    details: z.strictObject({ orderId: z.string(), validUntil: z.string().nullable() }),
    detailsAlways: true,
  },
  MIN_SPEND_NOT_MET: {
    status: 422,
    description:
      'the order may be used only on a purchase of at least `details.minSpendCents`, and `amountCents` is less',
    details: z.strictObject({ minSpendCents: z.number().int(), amountCents: z.number().int() }),
    detailsAlways: true,
  },
  USERNAME_TAKEN: { status: 409, description: 'the username is taken' },
  USER_ALREADY_DISABLED: { status: 409, description: 'the account is already disabled' },
  USER_ALREADY_ENABLED: { status: 409, description: 'the account is not disabled' },
  RESERVATION_EXISTS: {
    status: 409,
    description:
      'the buyer already holds a live (pending or firing) reservation of this coupon; `details.reservationId` is it',
    details: z.strictObject({ reservationId: z.string() }),
    detailsAlways: true,
  },
  RESERVATION_ALREADY_CANCELLED: { status: 409, description: 'the reservation is already cancelled' },
  RESERVATION_NOT_PENDING: {
    status: 409,
    description:
      'the reservation is no longer pending (firing, or ended): only a pending reservation can be cancelled; `details.status` is its state',
    details: z.strictObject({ reservationId: z.string(), status: z.string() }),
    detailsAlways: true,
  },
  COUPON_ALREADY_EXISTS: {
    status: 409,
    description: 'the new coupon id is taken (an id collision: not expected to happen)',
  },
  CONCURRENCY_CONFLICT: {
    status: 409,
    description: 'the change lost every retry of a race for its stream (about 2 s); nothing was written',
    headers: ['Retry-After'],
  },
  RATE_LIMITED: {
    status: 429,
    description:
      'the caller sent more requests than its quota allows (the `RateLimit-Policy` field names it): nothing was done; retry after `Retry-After` seconds',
    headers: ['Retry-After', 'RateLimit-Policy', 'RateLimit'],
  },
  TOO_MANY_STREAMS: {
    status: 429,
    description:
      'the buyer holds as many notification streams open on this server as one buyer may (close one, or retry after `Retry-After` seconds)',
    headers: ['Retry-After'],
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'the body is over the size limit (16 KiB by default)' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description:
      'bodies are JSON (`application/json`), UTF-8, encoded identity, gzip, deflate or br; anything else is refused',
  },
  INTERNAL_ERROR: { status: 500, description: 'an unexpected error (logged with its stack, never sent)' },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    description:
      'Redis, the event store or a read-model database is down (or its circuit breaker is open, refusing calls at once until a probe finds it back), or an append missed its deadline',
    headers: ['Retry-After'],
  },
  OVERLOADED: {
    status: 503,
    description:
      "more is coming in than the server admits now (the event store's append queue or the queue of password hashing is full, a seckill stampede is past the coupon's admission rate, or the server holds as many notification streams as it may): the request was refused at once, nothing of it was done (no stock taken); retry after `Retry-After` seconds",
    headers: ['Retry-After'],
  },
  GATE_RECOVERING: {
    status: 503,
    description: "the coupon's stock gate is being rebuilt from the event store",
    headers: ['Retry-After'],
  },
  READ_MODEL_BEHIND: {
    status: 503,
    description:
      'the read model did not reach `minPosition` in time (`reason: deadline`), or too many reads wait already (`reason: too_many_waiters`)',
    details: z.strictObject({
      requiredPosition: digits,
      currentPosition: digits,
      reason: z.enum(['deadline', 'too_many_waiters']),
    }),
    detailsAlways: true,
    headers: ['Retry-After'],
  },
  READ_MODEL_NOT_READY: {
    status: 503,
    description: 'the read model has not been built yet',
    headers: ['Retry-After'],
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** `SOLD_OUT` → `SoldOutError`: the component each code's answer is described by. */
const componentOf = (code: ErrorCode): string =>
  `${code
    .toLowerCase()
    .split('_')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('')}Error`;

const errorSchemas = new Map<ErrorCode, Schema>();

/** The whole body of an answer with this code: `{"error": {"code", "message", "details"?}}`, nothing else. */
export const errorBodyOf = (code: ErrorCode): Schema => {
  let schema = errorSchemas.get(code);
  if (schema === undefined) {
    const spec: ErrorSpec = ERROR_CODES[code];
    const details =
      spec.details === undefined
        ? {}
        : { details: spec.detailsAlways ? spec.details : spec.details.optional() };
    schema = z
      .strictObject({
        error: z.strictObject({ code: z.literal(code), message: z.string(), ...details }),
      })
      .meta({ id: componentOf(code), description: `\`${code}\`: ${spec.description}` });
    errorSchemas.set(code, schema);
  }
  return schema;
};

const RATE_LIMIT_POLICY_PATTERN = '^"[A-Za-z0-9_-]+";q=[0-9]+;w=[0-9]+$';
const RATE_LIMIT_PATTERN = '^"[A-Za-z0-9_-]+";r=[0-9]+;t=[0-9]+$';

interface HeaderSpec {
  readonly description: string;
  readonly required: boolean;
  readonly schema: { readonly type: 'string'; readonly pattern?: string; readonly const?: string };
}

/** Headers of answers, as components. */
const HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id: the caller's `X-Request-Id` when it is 1 to 128 of `A-Za-z0-9._:-`, else a fresh UUID. Logged with the request and stored as the events' correlation id.",
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  'Cache-Control': {
    description:
      'Answers hold tokens and personal data: nothing may store them (RFC 9111 §5.2.2.5; RFC 6749 §5.1).',
    required: true,
    schema: { type: 'string', const: RESPONSE_HEADERS['Cache-Control'] },
  },
  'X-Content-Type-Options': {
    description: 'Browsers must not sniff a JSON body into something else.',
    required: true,
    schema: { type: 'string', const: RESPONSE_HEADERS['X-Content-Type-Options'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again (RFC 9110 §10.2.3).',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with (RFC 6750 §3).',
    required: true,
    schema: { type: 'string', const: 'Bearer realm="couponkill"' },
  },
  'RateLimit-Policy': {
    description:
      'The quota that applies: `"<name>";q=<requests>;w=<seconds>` (draft-ietf-httpapi-ratelimit-headers-10 §4).',
    required: true,
    schema: { type: 'string', pattern: RATE_LIMIT_POLICY_PATTERN },
  },
  RateLimit: {
    description:
      'What is left of it: `"<name>";r=<requests remaining>;t=<seconds until it resets>` (draft-ietf-httpapi-ratelimit-headers-10 §5).',
    required: true,
    schema: { type: 'string', pattern: RATE_LIMIT_PATTERN },
  },
} as const satisfies Record<string, HeaderSpec>;

type HeaderName = keyof typeof HEADERS;

/** Every answer's headers (infra/http/request-context.ts, response-headers.ts). */
const EVERY_ANSWER: readonly HeaderName[] = ['X-Request-Id', 'Cache-Control', 'X-Content-Type-Options'];

/** A header an operation's answer carries besides the common ones (`Location`, `Idempotent-Replayed`). */
export const answerHeader = (
  description: string,
  schema: HeaderSpec['schema'] = { type: 'string' },
): HeaderSpec => ({ description, required: true, schema });

/** The RateLimit-Policy and RateLimit fields on an answer that a quota admitted (infra/http/rate-limit.ts). */
export const RATE_LIMIT_ANSWER_HEADERS: Readonly<Record<string, HeaderSpec>> = {
  'RateLimit-Policy': answerHeader(
    HEADERS['RateLimit-Policy'].description,
    HEADERS['RateLimit-Policy'].schema,
  ),
  RateLimit: answerHeader(HEADERS.RateLimit.description, HEADERS.RateLimit.schema),
};

const BEARER_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'An HS256 JWT from `POST /api/v1/auth/login` on the write API (`sub` the user id, `role` user or admin; issuer, audience, signature and a bounded lifetime are checked) in `Authorization: Bearer <token>`. The scheme name is case-insensitive and may be followed by several spaces: `bearer`, `BEARER  ` (RFC 9110 §11.1, RFC 6750 §2.1).',
} as const;

const REQUEST_ID_PARAMETER = {
  name: 'X-Request-Id',
  in: 'header',
  required: false,
  description:
    'Your id for the request, echoed in the answer and logged: 1 to 128 of `A-Za-z0-9._:-`. Any other value is replaced by a fresh UUID, never refused.',
  schema: { type: 'string' },
} as const;

export type Access = 'anyone' | 'user' | 'admin';

export interface Answer {
  readonly description: string;
  readonly schema: Schema;
  /** The media type of the body: `application/json` unless said (the notification stream is `text/event-stream`). */
  readonly contentType?: string;
  /** Headers beyond those every answer carries. */
  readonly headers?: Readonly<Record<string, HeaderSpec>>;
}

/** One route of an API, described from the schemas the route validates with. */
export interface ApiOperation {
  readonly method: 'get' | 'post' | 'delete';
  /** The route's template as express routes it: `/api/v1/orders/:orderId/cancel`. */
  readonly route: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: { readonly schema: Schema; readonly required: boolean; readonly description: string };
  /** The answers that are not errors, by status. */
  readonly answers: Readonly<Record<number, Answer>>;
  /**
   * The error codes the operation itself can answer. Those of its access (UNAUTHENTICATED, FORBIDDEN), of a path
   * parameter (MALFORMED_URL) and of validating its request parts (VALIDATION_FAILED) are added from the fields above.
   */
  readonly errors: readonly ErrorCode[];
}

/** The express template as an OpenAPI path: `/api/v1/orders/:orderId` → `/api/v1/orders/{orderId}`. */
export const openApiPath = (route: string): string => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Every code the operation can answer, in the order of ERROR_CODES. */
export const errorCodesOf = (operation: ApiOperation): ErrorCode[] => {
  const codes = new Set<ErrorCode>(operation.errors);
  if (operation.access !== 'anyone') codes.add('UNAUTHENTICATED');
  if (operation.access === 'admin') codes.add('FORBIDDEN');
  if (operation.params) codes.add('MALFORMED_URL');
  if (operation.params || operation.query || operation.headers || operation.body)
    codes.add('VALIDATION_FAILED');
  return CODES.filter((code) => codes.has(code));
};

export interface ApiInfo {
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly server: { readonly url: string; readonly description: string };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
}

/** The headers of a response as zod-to-openapi takes them: header objects and references. */
type HeadersObject = Exclude<ResponseConfig['headers'], z.ZodObject | undefined>;

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The OpenAPI 3.1 document of an API's operations. */
export const openApiDocument = (info: ApiInfo, operations: readonly ApiOperation[]): OpenApiDocument => {
  const registry = new OpenAPIRegistry();
  const usedHeaders = new Set<HeaderName>();
  const header = (name: HeaderName) => {
    usedHeaders.add(name);
    return { $ref: `#/components/headers/${name}` };
  };
  const common = () => Object.fromEntries(EVERY_ANSWER.map((name) => [name, header(name)]));
  const requestId = registry.registerComponent('parameters', 'X-Request-Id', REQUEST_ID_PARAMETER);

  for (const operation of operations) {
    const responses: Record<string, ResponseConfig> = {};
    for (const [status, answer] of Object.entries(operation.answers))
      responses[status] = {
        description: answer.description,
        headers: { ...common(), ...answer.headers } as HeadersObject,
        content: { [answer.contentType ?? 'application/json']: { schema: answer.schema } },
      };
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of errorCodesOf(operation)) {
      const { status } = ERROR_CODES[code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of byStatus) {
      const headers: Record<string, unknown> = common();
      for (const name of ERROR_HEADERS) {
        const carrying = codes.filter((code) => (ERROR_CODES[code] as ErrorSpec).headers?.includes(name));
        if (carrying.length === codes.length) headers[name] = header(name);
        else if (carrying.length > 0)
          headers[name] = {
            ...HEADERS[name],
            required: false,
            description: `${HEADERS[name].description} With ${carrying.map((c) => `\`${c}\``).join(', ')}.`,
          };
      }
      const [only] = codes;
      responses[String(status)] = {
        description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join('; '),
        headers: headers as HeadersObject,
        content: {
          'application/json': {
            schema:
              codes.length === 1 && only !== undefined
                ? errorBodyOf(only)
                : z.union(codes.map(errorBodyOf) as [Schema, Schema, ...Schema[]]),
          },
        },
      };
    }

    const route: RouteConfig = {
      method: operation.method,
      path: openApiPath(operation.route),
      operationId: operation.operationId,
      summary: operation.summary,
      description: operation.description,
      tags: [operation.tag],
      security: operation.access === 'anyone' ? [] : [{ bearerAuth: [] }],
      parameters: [requestId.ref],
      request: {
        ...(operation.params ? { params: operation.params } : {}),
        ...(operation.query ? { query: operation.query } : {}),
        ...(operation.headers ? { headers: operation.headers } : {}),
        ...(operation.body
          ? {
              body: {
                description: operation.body.description,
                required: operation.body.required,
                content: { 'application/json': { schema: operation.body.schema } },
              },
            }
          : {}),
      },
      responses,
    };
    registry.registerPath(route);
  }

  for (const name of usedHeaders) registry.registerComponent('headers', name, HEADERS[name]);
  if (operations.some((operation) => operation.access !== 'anyone'))
    registry.registerComponent('securitySchemes', 'bearerAuth', BEARER_SCHEME);

  const { webhooks: _webhooks, ...document } = new OpenApiGeneratorV31(registry.definitions).generateDocument(
    {
      openapi: '3.1.0',
      info: {
        title: info.title,
        description: info.description,
        version: info.version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [info.server],
      tags: [...info.tags],
    },
  );
  return document;
};

/** `GET /openapi.json`: the document, serialised once. */
export const openApiRoute = (document: OpenApiDocument): RequestHandler => {
  const json = JSON.stringify(document);
  return (_req, res) => {
    res.type('application/json').send(json);
  };
};

/** `GET /healthz` (infra/http/ops-routes.ts), public on both APIs. */
export const healthOperation: ApiOperation = {
  method: 'get',
  route: '/healthz',
  operationId: 'liveness',
  summary: 'Liveness',
  description:
    'The process answers. Readiness, metrics and the freshest lag report are on the ops listener, not on this port.',
  tag: 'operations',
  access: 'anyone',
  answers: {
    200: {
      description: 'alive',
      schema: z.strictObject({ status: z.literal('ok') }).meta({ id: 'Liveness' }),
    },
  },
  errors: [],
};

/** `GET /openapi.json`, on both APIs. */
export const openApiOperation: ApiOperation = {
  method: 'get',
  route: '/openapi.json',
  operationId: 'openApiDocument',
  summary: 'This document',
  description:
    "The API's OpenAPI 3.1 document, generated from the schemas its routes validate requests with.",
  tag: 'operations',
  access: 'anyone',
  answers: {
    200: {
      description: 'the OpenAPI document',
      schema: z.looseObject({ openapi: z.literal('3.1.0') }).meta({ description: 'an OpenAPI 3.1 document' }),
    },
  },
  errors: [],
};

/** True when a schema's output and a type the code answers with are the same shape (used at compile time only). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
