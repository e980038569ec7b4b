import { networkInterfaces } from 'node:os';

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
