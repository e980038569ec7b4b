import { hostname, networkInterfaces } from 'node:os';

import { isWildcardHost, urlHost } from './loopback.js';

/**
 * The `Host` headers a server listening on `host`:`port` answers: the loopback names
 * (`127.0.0.1`, `localhost`, `[::1]`) and the bound host, or for a wildcard bind (`0.0.0.0`,
 * `::`) every address of this machine and its host name. Any other `Host` is a page loaded from
 * another site's name (DNS rebinding) and is refused.
 */
export function allowedHosts(options: { host: string; port: number }): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', urlHost(options.host.toLowerCase())]);
  if (isWildcardHost(options.host)) {
    for (const address of machineAddresses()) names.add(urlHost(address.toLowerCase()));
    names.add(hostname().toLowerCase());
  }
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${options.port}`);
    if (options.port === 80) hosts.add(name);
  }
  return hosts;
}

/** Every address of this machine's interfaces (IPv6 link-local ones without their zone). */
export function machineAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) addresses.push(entry.address.replace(/%.*$/, ''));
  }
  return addresses;
}

/** The first IPv4 address of this machine that is not loopback, if it has one. */
export function externalIPv4(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return undefined;
}
