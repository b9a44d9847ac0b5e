import type { IncomingMessage } from 'node:http';
import { addressKey, clientAddressResolver, trustedProxiesProblem } from './client-address';

const from = (peer: string | undefined, forwardedFor?: string): IncomingMessage =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('client address', () => {
  it('ignores X-Forwarded-For by default: the socket peer is the client', () => {
    const clientAddress = clientAddressResolver([]);
    expect(clientAddress(from('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(clientAddress(from('198.51.100.4', '203.0.113.9, 10.0.0.1'))).toBe('198.51.100.4');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const clientAddress = clientAddressResolver(['10.0.0.0/8']);
    expect(clientAddress(from('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
  });

  it('honours X-Forwarded-For through a trusted peer, walking right to left past every trusted hop', () => {
    const clientAddress = clientAddressResolver(['127.0.0.1', '10.0.0.0/8']);
    expect(clientAddress(from('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    // The client claims 1.1.1.1, our edge (10.1.2.3) saw 203.0.113.9: the rightmost untrusted hop wins.
    expect(clientAddress(from('127.0.0.1', '1.1.1.1, 203.0.113.9, 10.1.2.3'))).toBe('203.0.113.9');
    // Every hop trusted: the leftmost is the client.
    expect(clientAddress(from('127.0.0.1', '10.9.9.9, 10.1.2.3'))).toBe('10.9.9.9');
    // A trusted peer that forwards nothing is the client itself.
    expect(clientAddress(from('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('gives IPv4 peers of a dual-stack socket as IPv4, and matches them against IPv4 subnets', () => {
    const clientAddress = clientAddressResolver(['127.0.0.0/8']);
    expect(clientAddress(from('::ffff:127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    expect(clientAddressResolver([])(from('::ffff:198.51.100.4'))).toBe('198.51.100.4');
  });

  it('answers `unknown` for a socket that has closed', () => {
    expect(clientAddressResolver([])(from(undefined))).toBe('unknown');
  });

  it('names a list entry that is not an address, subnet or known name', () => {
    expect(trustedProxiesProblem(['10.0.0.0/8', 'loopback', '::1', '192.168.0.0/255.255.0.0'])).toBeNull();
    expect(trustedProxiesProblem(['proxy.example'])).toMatch(/proxy\.example/);
    expect(trustedProxiesProblem(['10.0.0.0/33'])).toMatch(/10\.0\.0\.0\/33/);
  });

  it('keys IPv4 addresses as they are and IPv6 ones by their /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb::7')).toBe(addressKey('2001:db8:1:2:aaaa::1'));
    expect(addressKey('unknown')).toBe('unknown');
  });
});
