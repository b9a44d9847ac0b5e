import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHasher } from '../../commands/password-hasher-port';

const scryptAsync = (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

const KEY_LENGTH = 32;

/**
 * scrypt, run on libuv's thread pool so hashing never blocks the event loop. Stored as
 * `scrypt$log2N$r$p$salt$hash` (base64url) so the cost can be raised later without breaking old hashes.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly log2Cost: number = 15) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt, KEY_LENGTH, this.params(this.log2Cost, 8, 1));
    return ['scrypt', this.log2Cost, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, log2N, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !log2N || !r || !p || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const key = await scryptAsync(
      password,
      Buffer.from(salt, 'base64url'),
      expected.length || KEY_LENGTH,
      this.params(Number(log2N), Number(r), Number(p)),
    );
    return expected.length === key.length && timingSafeEqual(expected, key);
  }

  private params(log2N: number, r: number, p: number): ScryptOptions {
    const N = 2 ** log2N;
    return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  }
}
