import { createHash } from 'node:crypto';

/**
 * Where and how to reach Nacos' config service. `serverAddrs` are tried in turn (a failed one sends the next call to
 * the next); `namespace` is Nacos' tenant (empty: the public namespace).
 */
export interface NacosClientOptions {
  readonly serverAddrs: readonly string[];
  readonly namespace: string;
  readonly contextPath: string;
  readonly credentials: { readonly username: string; readonly password: string } | null;
  /** A plain request (get, publish, remove, login) not answered by then fails, in ms. */
  readonly requestTimeoutMs?: number;
}

/** One configuration item: Nacos names it by data id and group (within the client's namespace). */
export interface NacosConfigKey {
  readonly dataId: string;
  readonly group: string;
}

/** Nacos answered with an error status, or did not answer. */
export class NacosError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'NacosError';
  }
}

/** Nacos' separators in the listener's `Listening-Configs` field: between a key's fields, and after each key. */
const WORD = '\u0002';
const LINE = '\u0001';

/** The MD5 Nacos keeps of a configuration's content (hex; '' for no configuration), as its listener compares. */
export const nacosMd5 = (content: string | null): string =>
  content === null ? '' : createHash('md5').update(content, 'utf8').digest('hex');

/**
 * A client of the Nacos config service's open API v1 (the protocol of the official clients before gRPC, which rnacos
 * and every Nacos 1.x-3.x server serve): get, publish, remove, and the long-polling listener. Written here rather than
 * taken from npm `nacos` 2.6.3 because that client elects a leader among the processes of a host over TCP port 7777
 * (followers then use the leader's server and namespace) and caches under the home directory; the protocol is four
 * calls (https://nacos.io/docs/latest/manual/user/open-api/, "Configuration Management").
 */
export class NacosConfigClient {
  private next = 0;
  private token: { value: string; renewAtMs: number } | null = null;

  constructor(private readonly options: NacosClientOptions) {
    if (options.serverAddrs.length === 0) throw new Error('Nacos: no server address');
  }

  /** The content, or null when Nacos holds no such configuration (404). */
  async get(key: NacosConfigKey, signal?: AbortSignal): Promise<string | null> {
    const response = await this.call('GET', '/v1/cs/configs', this.params(key), signal);
    if (response.status === 404) return null;
    return this.text(response, 'get');
  }

  /** Creates or replaces the content; `type` is Nacos' content type (`properties`, `yaml`, `json`, `text`). */
  async publish(key: NacosConfigKey, content: string, type = 'properties'): Promise<void> {
    const body = this.params(key);
    body.set('content', content);
    body.set('type', type);
    const reply = await this.text(await this.call('POST', '/v1/cs/configs', body), 'publish');
    if (reply.trim() !== 'true')
      throw new NacosError(`Nacos refused to publish ${key.dataId}: ${reply}`, 200);
  }

  async remove(key: NacosConfigKey): Promise<void> {
    await this.text(await this.call('DELETE', '/v1/cs/configs', this.params(key)), 'remove');
  }

  /**
   * Long-polls until the configuration's MD5 differs from `md5` or `timeoutMs` passes (Nacos holds the request up to
   * `Long-Pulling-Timeout`, then answers empty). Resolves true when it changed.
   */
  async changedSince(
    key: NacosConfigKey,
    md5: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const fields = [key.dataId, key.group, md5, ...(this.options.namespace ? [this.options.namespace] : [])];
    const body = new URLSearchParams({ 'Listening-Configs': `${fields.join(WORD)}${LINE}` });
    const response = await this.call('POST', '/v1/cs/configs/listener', body, signal, {
      'Long-Pulling-Timeout': String(timeoutMs),
      timeoutMs: timeoutMs + 10_000,
    });
    const reply = await this.text(response, 'listen');
    return decodeURIComponent(reply)
      .split(LINE)
      .some((line) => line.split(WORD)[0] === key.dataId);
  }

  private params(key: NacosConfigKey): URLSearchParams {
    const params = new URLSearchParams({ dataId: key.dataId, group: key.group });
    if (this.options.namespace) params.set('tenant', this.options.namespace);
    return params;
  }

  private async text(response: Response, what: string): Promise<string> {
    const body = await response.text();
    // A token Nacos no longer takes (expired early, the user's password changed): log in again next time.
    if (response.status === 401 || response.status === 403) this.token = null;
    if (!response.ok)
      throw new NacosError(
        `Nacos ${what} answered ${response.status}: ${body.slice(0, 200)}`,
        response.status,
      );
    return body;
  }

  /** One call to the current server; on no answer, the next call goes to the next server. */
  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    params: URLSearchParams,
    signal?: AbortSignal,
    extra: { 'Long-Pulling-Timeout'?: string; timeoutMs?: number } = {},
  ): Promise<Response> {
    const { timeoutMs = this.options.requestTimeoutMs ?? 5000, ...headers } = extra;
    const server = this.options.serverAddrs[this.next % this.options.serverAddrs.length] ?? '';
    const token = await this.accessToken(server);
    if (token) params.set('accessToken', token);
    const base = `http://${server}/${this.options.contextPath}${path}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const inBody = method === 'POST';
    try {
      return await fetch(inBody ? base : `${base}?${params.toString()}`, {
        method,
        headers: {
          ...headers,
          ...(inBody ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(inBody ? { body: params.toString() } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      this.next += 1;
      const reason =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      throw new NacosError(`Nacos at ${server} did not answer: ${reason}`, null);
    }
  }

  /** POST /v1/auth/login's token, renewed at half its TTL (Nacos' open API with auth on). */
  private async accessToken(server: string): Promise<string | null> {
    const credentials = this.options.credentials;
    if (!credentials) return null;
    if (this.token && Date.now() < this.token.renewAtMs) return this.token.value;
    const response = await fetch(`http://${server}/${this.options.contextPath}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(credentials).toString(),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5000),
    }).catch((error: unknown) => {
      this.next += 1;
      throw new NacosError(`Nacos at ${server} did not answer a login: ${String(error)}`, null);
    });
    const body = await this.text(response, 'login');
    const { accessToken, tokenTtl } = JSON.parse(body) as { accessToken?: string; tokenTtl?: number };
    if (!accessToken) throw new NacosError('Nacos login answered without an accessToken', response.status);
    this.token = { value: accessToken, renewAtMs: Date.now() + ((tokenTtl ?? 18_000) * 1000) / 2 };
    return accessToken;
  }
}
