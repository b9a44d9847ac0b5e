import { createHash } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import jwt from 'jsonwebtoken';
import { ERROR_CODES, type ErrorCode } from '../../infra/http/openapi';
import { JWT_SECRET } from './test-env';

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
}

/**
 * A token for any user id, signed as the write-api signs them; tests mint thousands without registering. With
 * `registeredAtMs`, it carries the account's registration time as login puts it there (the `rat` claim, seconds).
 */
export const tokenFor = (userId: string, role: 'user' | 'admin' = 'user', registeredAtMs?: number): string =>
  jwt.sign(
    { role, ...(registeredAtMs === undefined ? {} : { rat: Math.ceil(registeredAtMs / 1000) }) },
    JWT_SECRET,
    {
      algorithm: 'HS256',
      subject: userId,
      issuer: 'couponkill',
      audience: 'couponkill',
      expiresIn: 600,
    },
  );

/**
 * A request to one of the APIs, its answer checked against the OpenAPI document that API serves (below): an answer
 * the document does not describe fails the test that made the request.
 */
export const request = async (
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  const url = new URL(`${baseUrl}${path}`);
  // Asked alongside the request, once per server: which API it is, if any.
  const contract = contractOf(url.origin);
  contract.catch(() => undefined); // awaited below, after the request
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: JsonResponse['body'] = {};
  if (text.length > 0) parsed = JSON.parse(text) as JsonResponse['body'];
  const answer = { method: method.toUpperCase(), path: url.pathname, response, text, body: parsed };
  let violations = check(await contract, answer);
  if (violations.length > 0) {
    // A port may have passed to another server since the document was read: read it again before failing.
    violations = check(await contractOf(url.origin, true), answer);
    if (violations.length > 0) throw new Error(`OpenAPI contract violated:\n  ${violations.join('\n  ')}`);
  }
  return { status: response.status, headers: response.headers, body: parsed };
};

/** The title of the OpenAPI document the server at `baseUrl` serves, or null when it serves none (not checked). */
export const servedContract = async (baseUrl: string): Promise<string | null> =>
  (await contractOf(new URL(baseUrl).origin))?.title ?? null;

/*
 * Conformance. The first request to a server also fetches its `/openapi.json`: the write and read APIs serve their
 * documents there (test/openapi.int.ts checks they are the ones the code generates), anything else (the ops
 * listener, a stub) has none and is not checked. Each answer is then matched to its operation by method and path
 * template and checked: the status is one the operation documents, the body validates against the schema of that
 * status (ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1; `error.code` among the operation's codes for that
 * status), and the documented headers are there with documented values. An answer to a method and path the document
 * has no operation for must be a `404 NOT_FOUND` or a refusal of the body parser, which runs before routing.
 */

interface SchemaObject {
  readonly $ref?: string;
  readonly anyOf?: readonly SchemaObject[];
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
}

interface HeaderObject {
  readonly $ref?: string;
  readonly required?: boolean;
  readonly schema?: SchemaObject;
}

interface ResponseObject {
  readonly headers?: Readonly<Record<string, HeaderObject>>;
  readonly content?: Readonly<Record<string, { readonly schema: SchemaObject }>>;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string };
  readonly paths: Readonly<
    Record<string, Readonly<Record<string, { readonly responses: Record<string, ResponseObject> }>>>
  >;
}

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

interface Contract {
  readonly title: string;
  readonly document: OpenApiDocument;
  /** The document's id in ajv, the base of every pointer into it. */
  readonly id: string;
  readonly operations: readonly Operation[];
}

interface Answer {
  readonly method: string;
  readonly path: string;
  readonly response: Response;
  readonly text: string;
  readonly body: JsonResponse['body'];
}

/** Codes an answer to a route the document does not have may carry: no route, or the body parser refused first. */
const UNROUTED: readonly ErrorCode[] = [
  'NOT_FOUND',
  'MALFORMED_JSON',
  'MALFORMED_BODY',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
const contracts = new Map<string, Promise<Contract | null>>();

const contractOf = (origin: string, reload = false): Promise<Contract | null> => {
  let contract = contracts.get(origin);
  if (contract === undefined || reload) {
    contract = loadContract(origin);
    contracts.set(origin, contract);
  }
  return contract;
};

const loadContract = async (origin: string): Promise<Contract | null> => {
  let served: unknown;
  try {
    const response = await fetch(`${origin}/openapi.json`);
    if (response.status !== 200) return null;
    served = await response.json();
  } catch {
    // Not up (yet), or not JSON: ask again with the next request.
    contracts.delete(origin);
    return null;
  }
  if (typeof served !== 'object' || served === null || !('openapi' in served) || served.openapi !== '3.1.0')
    return null;
  const document = served as OpenApiDocument;
  const id = `urn:couponkill:openapi:${createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;
  if (ajv.getSchema(id) === undefined) ajv.addSchema(document, id);
  const operations = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      ),
      responses: operation.responses,
    })),
  );
  return { title: document.info.title, document, id, operations };
};

/** A JSON pointer into the document, as a URI fragment. */
const pointer = (...segments: string[]): string =>
  segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

const validatorAt = (contract: Contract, at: string): ValidateFunction => {
  const key = `${contract.id}#${at}`;
  let validate = validators.get(key);
  if (validate === undefined) validators.set(key, (validate = ajv.compile({ $ref: key })));
  return validate;
};

/** What a local `$ref` (`#/components/…`) points at, and where. */
const componentOf = (contract: Contract, ref: string): { readonly at: string; readonly value: unknown } => {
  const at = ref.replace(/^#/, '');
  let value: unknown = contract.document;
  for (const segment of at.split('/').slice(1))
    value = (value as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  return { at, value };
};

/** The `error.code` values a response schema allows: those of its error components. */
const errorCodesIn = (contract: Contract, schema: SchemaObject): string[] => {
  const resolved = schema.$ref ? (componentOf(contract, schema.$ref).value as SchemaObject) : schema;
  if (resolved.anyOf) return resolved.anyOf.flatMap((branch) => errorCodesIn(contract, branch));
  const code = resolved.properties?.error?.properties?.code;
  return code ? [...(code.enum ?? []), ...(code.const === undefined ? [] : [code.const])].map(String) : [];
};

const check = (contract: Contract | null, answer: Answer): string[] => {
  if (contract === null) return [];
  const { method, path, response, body } = answer;
  const status = response.status;
  // A CORS preflight's answer (infra/http/cors-policy.ts) is the Fetch standard's, not an operation of the document.
  if (method === 'OPTIONS' && status === 204 && response.headers.has('access-control-allow-origin'))
    return [];
  const operation = contract.operations.find(
    (op) => (op.method === method || (method === 'HEAD' && op.method === 'GET')) && op.pattern.test(path),
  );
  if (operation === undefined) {
    const code = body.error?.code;
    const spec = code === undefined ? undefined : (ERROR_CODES as Record<string, { status: number }>)[code];
    return spec !== undefined &&
      spec.status === status &&
      (UNROUTED as readonly string[]).includes(code ?? '')
      ? []
      : [
          `${contract.title}: ${method} ${path} has no operation, and answered ${status} ${answer.text.slice(0, 200)} (expected 404 NOT_FOUND or a body refusal)`,
        ];
  }
  const where = `${contract.title}: ${operation.method} ${operation.template} answered ${status}`;
  const documented = operation.responses[String(status)];
  if (documented === undefined)
    return [`${where}, a status it does not document (${Object.keys(operation.responses).join(', ')})`];
  const responseAt = pointer(
    'paths',
    operation.template,
    operation.method.toLowerCase(),
    'responses',
    String(status),
  );
  const violations: string[] = [];

  const json = documented.content?.['application/json'];
  if (json !== undefined && method !== 'HEAD') {
    const type = response.headers.get('content-type') ?? '';
    if (!/^application\/json(;|$)/.test(type))
      violations.push(`${where} with Content-Type "${type}", not JSON`);
    if (answer.text.length === 0) violations.push(`${where} without a body`);
    const codes = errorCodesIn(contract, json.schema);
    const code = body.error?.code;
    const validate = validatorAt(
      contract,
      `${responseAt}${pointer('content', 'application/json', 'schema')}`,
    );
    if (codes.length > 0 && (code === undefined || !codes.includes(code)))
      violations.push(
        `${where} with error code ${String(code)}, which it does not document for ${status} (${codes.join(', ')})`,
      );
    // (An undocumented code fails every branch of the schema: the line above says it better.)
    else if (!validate(body))
      violations.push(
        `${where} with a body the document does not describe: ${ajv.errorsText(validate.errors, { dataVar: 'body' })} in ${answer.text.slice(0, 300)}`,
      );
  }

  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const { at, value } = header.$ref
      ? componentOf(contract, header.$ref)
      : { at: `${responseAt}${pointer('headers', name)}`, value: header };
    const { required, schema } = value as HeaderObject;
    const sent = response.headers.get(name);
    if (sent === null) {
      if (required) violations.push(`${where} without the header ${name}`);
      continue;
    }
    if (schema === undefined) continue;
    const validate = validatorAt(contract, `${at}/schema`);
    const valid: boolean = validate(sent);
    if (!valid)
      violations.push(
        `${where} with ${name}: ${sent}, which the document does not allow (${ajv.errorsText(validate.errors)})`,
      );
  }
  return violations;
};
