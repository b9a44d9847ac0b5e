import type { Request, Response } from 'express';
import { corsPolicy, originProblem } from './cors-policy';

describe('the CORS policy', () => {
  const policy = corsPolicy(['https://shop.example', 'http://localhost:8081']);

  it('hands the lean path one header object per allowed origin, nothing for the others', () => {
    const headers = policy.headersFor('https://shop.example');
    expect(headers).toEqual({
      'Access-Control-Allow-Origin': 'https://shop.example',
      Vary: 'Origin',
      'Access-Control-Expose-Headers':
        'Location, Retry-After, Idempotent-Replayed, RateLimit, RateLimit-Policy, X-Request-Id',
    });
    expect(policy.headersFor('https://shop.example')).toBe(headers);
    expect(policy.headersFor('https://SHOP.example')).toBeUndefined();
    expect(policy.headersFor('null')).toBeUndefined();
    expect(policy.headersFor(undefined)).toBeUndefined();
  });

  const run = (method: string, headers: Record<string, string>) => {
    const set: Record<string, string> = {};
    const res = {
      statusCode: 200,
      ended: false,
      setHeader: (name: string, value: string) => (set[name] = value),
      getHeader: (name: string) => set[name],
      end() {
        this.ended = true;
      },
    };
    let passed = false;
    policy.middleware({ method, headers } as unknown as Request, res as unknown as Response, () => {
      passed = true;
    });
    return { passed, status: res.statusCode, ended: res.ended, headers: set };
  };

  it('answers a preflight from an allowed origin at once, and lets everything else through', () => {
    const preflight = run('OPTIONS', {
      origin: 'http://localhost:8081',
      'access-control-request-method': 'DELETE',
    });
    expect(preflight).toMatchObject({ passed: false, status: 204, ended: true });
    expect(preflight.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'http://localhost:8081',
      'Access-Control-Allow-Methods': 'POST, DELETE',
      'Access-Control-Max-Age': '600',
    });
    expect(run('OPTIONS', { origin: 'http://localhost:8081' })).toEqual({
      passed: true,
      status: 200,
      ended: false,
      headers: {},
    });
    expect(
      run('OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' }).passed,
    ).toBe(true);
    const actual = run('POST', { origin: 'https://shop.example' });
    expect(actual.passed).toBe(true);
    expect(actual.headers).toMatchObject(policy.headersFor('https://shop.example') ?? {});
  });

  it('takes only origins written as browsers send them', () => {
    expect(originProblem('https://shop.example')).toBeNull();
    expect(originProblem('http://[::1]:8081')).toBeNull();
    expect(originProblem('https://shop.example/')).toContain('https://shop.example');
    expect(originProblem('file:///tmp')).toContain('not an http or https origin');
  });
});
