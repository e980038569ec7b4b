import { hostname } from 'node:os';

import { canonicalHost, canonicalHostHeader, isWildcardHost } from './host-name.js';
import { machineAddresses } from './machine-addresses.js';

/**
 * The `Host` headers a server listening on `host`:`port` answers, each as a URL writes it
 * (`canonicalHost`): the loopback names (`127.0.0.1`, `localhost`, `[::1]`) and the bound host,
 * or for a wildcard bind (`0.0.0.0`, `::`) every address of this machine and its host name. Any
 * other `Host` is a page loaded from another site's name (DNS rebinding) and is refused.
 */
export function allowedHosts(options: { host: string; port: number }): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1', options.host];
  if (isWildcardHost(options.host)) names.push(...machineAddresses(), hostname());
  const hosts = new Set<string>();
  for (const name of names) {
    const canonical = canonicalHost(name, options.port);
    if (canonical !== undefined) hosts.add(canonical);
  }
  return hosts;
}

/** Whether a request's `Host` header is one of `hosts` (see {@link allowedHosts}). */
export function isAllowedHost(
  header: string | null | undefined,
  hosts: ReadonlySet<string>,
): boolean {
  if (header === null || header === undefined) return false;
  const canonical = canonicalHostHeader(header);
  return canonical !== undefined && hosts.has(canonical);
}
