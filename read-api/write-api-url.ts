/**
 * Where the web app finds the write API. Production names it (COUPONKILL_PUBLIC_WRITE_API_URL); otherwise it is on the
 * host the browser used for the page, on the write-api's port (the all-in-one process: read-api 8081, write-api
 * 8080 on one host).
 */

/**
 * A Host header (RFC 9110 §7.2): a DNS name, an IPv4 address or a bracketed IPv6 address, then an optional port.
 * Anything else (a user-info, a path, spaces, odd characters) is not echoed into an answer.
 */
const HOST_HEADER =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

/**
 * The write API's origin on the page's host: `<protocol>://<hostname of host>:<port>` serialised as an origin
 * (RFC 6454 §6.2: lower case, no default port). `protocol` is `http` or `https` (express's `req.protocol`), `host`
 * the request's Host header; a missing or malformed one gives `localhost`.
 */
export const sameHostWriteApiUrl = (protocol: string, host: string | undefined, port: number): string => {
  const hostname = HOST_HEADER.exec(host ?? '')?.[1] ?? 'localhost';
  try {
    return new URL(`${protocol}://${hostname}:${String(port)}`).origin;
  } catch {
    // Shaped like a host yet no valid one (an IPv4 part above 255, a malformed IPv6 address).
    return `${protocol}://localhost:${String(port)}`;
  }
};

/** The origin of an absolute URL: what a Content-Security-Policy source and CORS compare. */
export const originOf = (url: string): string => new URL(url).origin;
