import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';

/** The address a request came from, as limits key it: `(req) => "203.0.113.7"`. */
export type ClientAddress = (req: IncomingMessage) => string;

/**
 * Checks a list of trusted proxies as proxy-addr reads it: IPv4/IPv6 addresses, CIDR subnets (`10.0.0.0/8`,
 * `fd00::/8`), address/netmask pairs, or the names `loopback`, `linklocal`, `uniquelocal`.
 *
 * @returns null when every entry is valid, else the message proxy-addr refused the list with.
 */
export const trustedProxiesProblem = (trusted: readonly string[]): string | null => {
  try {
    proxyAddr.compile([...trusted]);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

/** `::ffff:192.0.2.1` (a dual-stack socket's IPv4 peer) → `192.0.2.1`; other addresses as they came. */
const plain = (address: string): string => {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address().toString()
    : parsed.toString();
};

/**
 * The client address resolver of both APIs. The peer of the socket is the client, unless it is one of
 * `trustedProxies`: then `X-Forwarded-For` is walked right to left, skipping every trusted hop, and the first
 * untrusted address is the client (proxy-addr, the algorithm of express's `trust proxy`). With no trusted proxies
 * (the default) the header is never read, so a client cannot name its own address. The answer is plain text
 * (IPv4-mapped IPv6 given as IPv4); a socket already closed answers `unknown`.
 *
 * @param trustedProxies addresses and subnets of the proxies in front of us (validate with trustedProxiesProblem).
 * @throws TypeError from proxy-addr when an entry is not an address, subnet or known name.
 */
export const clientAddressResolver = (trustedProxies: readonly string[]): ClientAddress => {
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => {
    // A reset connection has no remote address left: proxy-addr would throw on it.
    if (req.socket.remoteAddress === undefined) return 'unknown';
    return plain(proxyAddr(req, trust));
  };
};

/**
 * The key a per-address limit counts under: an IPv4 address itself, an IPv6 address by its /64 (one subscriber
 * gets a whole /64, RFC 6177 §3, and could otherwise take a fresh address for every request).
 */
export const addressKey = (address: string): string => {
  if (!ipaddr.IPv6.isValid(address)) return address;
  const parts = ipaddr.IPv6.parse(address).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
};
