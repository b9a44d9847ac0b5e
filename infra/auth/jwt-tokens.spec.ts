import jwt from 'jsonwebtoken';
import { InvalidTokenError, JwtTokens } from './jwt-tokens';

const OPTIONS = {
  secret: 'a-secret-that-is-long-enough-0123456789',
  issuer: 'couponkill',
  audience: 'couponkill',
  ttlSeconds: 3600,
  clockSkewSeconds: 30,
  maxSessionSeconds: 86_400,
};

describe('JwtTokens.renew', () => {
  let now = 1_800_000_000;
  const tokens = new JwtTokens(OPTIONS, () => now);

  it('re-issues a valid token for a full TTL, keeping subject, role, username and the time of the login', () => {
    const login = tokens.issue({ userId: 'u-1', role: 'user', username: 'alice' });
    now += 3000;
    const renewed = tokens.renew(login.token);
    expect(renewed.expiresIn).toBe(3600);
    expect(renewed.principal).toEqual({ userId: 'u-1', role: 'user', username: 'alice' });
    const claims = jwt.decode(renewed.token) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: 'u-1', role: 'user', username: 'alice', iat: now, exp: now + 3600 });
    expect(claims.auth_time).toBe(now - 3000);
    expect(tokens.verify(renewed.token)).toEqual({ userId: 'u-1', role: 'user', username: 'alice' });
  });

  it('renews a chain of tokens only while the login is younger than the longest session', () => {
    let token = tokens.issue({ userId: 'u-2', role: 'admin' }).token;
    for (let renewal = 1; renewal <= 28; renewal++) {
      now += 3000;
      token = tokens.renew(token).token;
    }
    // 600 s before the session ends, a renewal lives those 600 s, not a full TTL.
    now += 86_400 - 28 * 3000 - 600;
    const last = tokens.renew(token);
    expect(last.expiresIn).toBe(600);
    expect((jwt.decode(last.token) as jwt.JwtPayload).exp).toBe(now + 600);
    token = last.token;
    now += 600;
    expect(() => tokens.renew(token)).toThrow(
      new InvalidTokenError('the login is older than 86400 s: log in again'),
    );
  });

  it('refuses what verify refuses, and counts a token without auth_time from its iat', () => {
    expect(() => tokens.renew('not.a.token')).toThrow(InvalidTokenError);
    const old = jwt.sign({ role: 'user', iat: now - 1000 }, OPTIONS.secret, {
      algorithm: 'HS256',
      subject: 'u-3',
      issuer: 'couponkill',
      audience: 'couponkill',
      expiresIn: 3600,
    });
    expect((jwt.decode(tokens.renew(old).token) as jwt.JwtPayload).auth_time).toBe(now - 1000);
  });
});

describe('JwtTokens: the claims that find and check the account', () => {
  const now = 1_800_000_000;
  const tokens = new JwtTokens(OPTIONS, () => now);
  const signed = (claims: Record<string, unknown>) =>
    jwt.sign({ role: 'user', iat: now, ...claims }, OPTIONS.secret, {
      algorithm: 'HS256',
      subject: 'u-1',
      issuer: 'couponkill',
      audience: 'couponkill',
      expiresIn: 600,
    });

  it('carries the username and the password version through a renewal', () => {
    const login = tokens.issue({ userId: 'u-1', role: 'user', username: 'alice', passwordVersion: 2 });
    expect((jwt.decode(login.token) as jwt.JwtPayload).pwv).toBe(2);
    const renewed = tokens.renew(login.token);
    expect(renewed.principal).toEqual({ userId: 'u-1', role: 'user', username: 'alice', passwordVersion: 2 });
    expect(tokens.verify(renewed.token)).toEqual(renewed.principal);
  });

  it('leaves the password version out while the password was never changed', () => {
    const login = tokens.issue({ userId: 'u-1', role: 'user', username: 'alice', passwordVersion: 0 });
    expect(jwt.decode(login.token)).not.toHaveProperty('pwv');
    expect(tokens.verify(login.token)).toEqual({ userId: 'u-1', role: 'user', username: 'alice' });
  });

  it.each([
    [{ username: 'Not Normalised' }, 'username'],
    [{ username: 42 }, 'username'],
    [{ pwv: 0 }, 'pwv'],
    [{ pwv: 1.5 }, 'pwv'],
    [{ pwv: '1' }, 'pwv'],
  ])('refuses the claims %p', (claims, name) =>
    expect(() => tokens.verify(signed(claims))).toThrow(
      new InvalidTokenError(`token has an invalid ${name} claim`),
    ),
  );
});
