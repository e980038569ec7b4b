import { isIP } from 'node:net';

/** `host` without the brackets of an IPv6 address in a URL (`[::1]` → `::1`). */
export function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** `host` as it is written in a URL or a `Host` header: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  const bare = bareHost(host);
  return isIP(bare) === 6 ? `[${bare}]` : bare;
}

/**
 * `host`:`port` the way a WHATWG URL writes it (`new URL(…).host`): names lower-cased, IPv4 and
 * IPv6 addresses in their canonical form (`::ffff:127.0.0.1` → `[::ffff:7f00:1]`,
 * `0:0:0:0:0:0:0:1` → `[::1]`), port 80 left out. So two spellings of one address compare equal.
 * `undefined` for what is not a host name or an address.
 */
export function canonicalHost(host: string, port: number): string | undefined {
  return canonicalHostHeader(`${urlHost(host)}:${port}`);
}

/** A host name or IPv4 address, or an IPv6 address in brackets, then maybe a port. */
const HOST_HEADER = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i;

/**
 * A `Host` header as {@link canonicalHost} writes it, or `undefined` when it is not a host and
 * port (nothing else, so that no user, path or second host can hide in it).
 */
export function canonicalHostHeader(header: string): string | undefined {
  if (!HOST_HEADER.test(header)) return undefined;
  try {
    const url = new URL(`http://${header}`);
    return url.pathname === '/' && url.username === '' ? url.host : undefined;
  } catch {
    return undefined;
  }
}

/** `host`'s hostname in canonical form (see {@link canonicalHost}), IPv6 without brackets. */
function canonicalName(host: string): string | undefined {
  const canonical = canonicalHost(host, 80);
  return canonical === undefined ? undefined : bareHost(canonical);
}

/**
 * Whether `host` names this machine's loopback interface only: `localhost`, any address of
 * 127.0.0.0/8 (also as `::ffff:127.x.y.z`), any spelling of `::1`.
 */
export function isLoopbackHost(host: string): boolean {
  const name = canonicalName(host);
  if (name === undefined) return false;
  if (name === 'localhost' || name === '::1') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  // An IPv4-mapped address, as a URL writes it: `::ffff:7f00:1` is 127.0.0.1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(name);
  return mapped !== null && Number.parseInt(mapped[1]!, 16) >> 8 === 127;
}

/** Whether `host` is a wildcard that listens on every interface (`0.0.0.0`, any spelling of `::`). */
export function isWildcardHost(host: string): boolean {
  const name = canonicalName(host);
  return name === '0.0.0.0' || name === '::';
}
