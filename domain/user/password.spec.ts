import { validPassword } from './password';

describe('the password rule (registration and changes alike)', () => {
  it.each(['12345678', 'x'.repeat(256), 'pâsswörd', '  spaces  ', '🔑🔑🔑🔑'])('accepts %p', (password) =>
    expect(validPassword(password)).toBe(true),
  );
  it.each(['1234567', 'x'.repeat(257), 'password\uD800', ''])('refuses %p', (password) =>
    expect(validPassword(password)).toBe(false),
  );
});
