import { InvalidSandboxPolicyError } from '../errors.js';
import { hasFullNetworkAccess } from '../policy/policy-roots.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';

/**
 * What a process needs to use the network once outbound traffic is allowed: sockets, name
 * resolution, TLS trust evaluation, the routing table, and writes to the per-user cache folder
 * (`DARWIN_USER_CACHE_DIR`, a parameter) where those services keep their state. Appended after
 * the rules that allow the traffic itself. Ends with a newline.
 *
 * @example
 * ```ts
 * SEATBELT_NETWORK_POLICY.includes('(allow system-socket)'); // true
 * ```
 */
export const SEATBELT_NETWORK_POLICY = `; Sockets, DNS, TLS trust and the per-user cache that network clients need.
(allow system-socket)

(allow mach-lookup
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.networkd")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd"))

(allow sysctl-read (sysctl-name-regex #"^net.routetable"))

(allow file-write* (subpath (param "DARWIN_USER_CACHE_DIR")))
`;

/**
 * What decides the network section of a Seatbelt profile.
 *
 * @example
 * ```ts
 * const options: SeatbeltNetworkOptions = { policy: readOnlyPolicy(), proxyPorts: [3128] };
 * ```
 */
export interface SeatbeltNetworkOptions {
  /** Full network access (see `hasFullNetworkAccess`) allows all traffic when no proxy is set. */
  policy: SandboxPolicy;
  /**
   * Ports of the loopback proxies commands must go through. When given, outbound traffic is
   * allowed to `localhost:<port>` only, whatever the policy says; an empty list means a proxy is
   * configured but none of its ports is usable, and then no network is allowed at all (fail
   * closed). Omit it when no proxy is configured.
   */
  proxyPorts?: readonly number[] | undefined;
  /** With `proxyPorts`: also allow binding and traffic on localhost (local dev servers). */
  allowLocalBinding?: boolean | undefined;
}

/**
 * The network section of a Seatbelt profile, first matching case:
 * 1. proxy ports → outbound to those loopback ports only (plus localhost binding and loopback
 *    traffic with `allowLocalBinding`), then {@link SEATBELT_NETWORK_POLICY};
 * 2. a proxy without usable ports (`proxyPorts: []`) → `""`: no network (fail closed);
 * 3. full network access → blanket `(allow network-outbound)` and `(allow network-inbound)`, then
 *    {@link SEATBELT_NETWORK_POLICY};
 * 4. otherwise `""`: no network, since the base policy denies by default.
 *
 * Throws {@link InvalidSandboxPolicyError} for a port that is not an integer from 1 to 65535.
 *
 * @example
 * ```ts
 * seatbeltNetworkSection({ policy: readOnlyPolicy(), proxyPorts: [3128] });
 * // '; allow outbound access only to configured loopback proxy endpoints\n'
 * // + '(allow network-outbound (remote ip "localhost:3128"))\n' + SEATBELT_NETWORK_POLICY
 * ```
 */
export function seatbeltNetworkSection(options: SeatbeltNetworkOptions): string {
  const { policy, proxyPorts, allowLocalBinding = false } = options;
  if (proxyPorts !== undefined) {
    const ports = checkedPorts(proxyPorts);
    if (ports.length === 0) return '';
    let text = '; allow outbound access only to configured loopback proxy endpoints\n';
    if (allowLocalBinding) {
      text +=
        '; allow localhost-only binding and loopback traffic\n' +
        '(allow network-bind (local ip "localhost:*"))\n' +
        '(allow network-inbound (local ip "localhost:*"))\n' +
        '(allow network-outbound (remote ip "localhost:*"))\n';
    }
    for (const port of ports) text += `(allow network-outbound (remote ip "localhost:${port}"))\n`;
    return text + SEATBELT_NETWORK_POLICY;
  }
  if (hasFullNetworkAccess(policy)) {
    return '(allow network-outbound)\n(allow network-inbound)\n' + SEATBELT_NETWORK_POLICY;
  }
  return '';
}

/** The ports, deduplicated in order; refuses anything that is not a TCP port. */
function checkedPorts(ports: readonly number[]): number[] {
  ports.forEach((port, index) => {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new InvalidSandboxPolicyError(
        `proxyPorts[${index}]`,
        `must be an integer from 1 to 65535, got ${String(port)}`,
      );
    }
  });
  return [...new Set(ports)];
}
