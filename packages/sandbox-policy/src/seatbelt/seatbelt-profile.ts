import { includePlatformDefaults } from '../policy/policy-roots.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';
import { SEATBELT_BASE_POLICY } from './base-policy.js';
import { SEATBELT_EXTENSIONS_POLICY } from './extensions-policy.js';
import {
  type SeatbeltParam,
  canonicalPath,
  seatbeltReadSection,
  seatbeltWriteSection,
} from './file-policy.js';
import { seatbeltNetworkSection } from './network-policy.js';
import { SEATBELT_PLATFORM_DEFAULTS } from './platform-defaults.js';

/**
 * The macOS sandbox launcher. Always this absolute path, never looked up on `PATH`: a
 * `sandbox-exec` earlier on `PATH` could run the command unconfined.
 *
 * @example
 * ```ts
 * spawn(SEATBELT_EXECUTABLE, seatbeltArgs({ policy, cwd, command: ['make', 'test'] }));
 * ```
 */
export const SEATBELT_EXECUTABLE = '/usr/bin/sandbox-exec';

/**
 * What a Seatbelt profile is made from.
 *
 * @example
 * ```ts
 * const options: SeatbeltOptions = {
 *   policy: workspaceWritePolicy(),
 *   cwd: '/Users/me/repo',
 *   env: process.env,
 *   darwinUserCacheDir: '/var/folders/xy/abc/C',
 * };
 * ```
 */
export interface SeatbeltOptions {
  /** The policy to enforce. */
  policy: SandboxPolicy;
  /** The command's working directory: readable and (workspace-write) writable. */
  cwd: string;
  /**
   * The environment whose `TMPDIR` is a writable root under workspace-write (unless excluded).
   * Nothing here reads `process.env`: pass it to get Codex's behaviour.
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * The per-user cache folder (`getconf DARWIN_USER_CACHE_DIR` on macOS), passed as the
   * `DARWIN_USER_CACHE_DIR` parameter that the network rules read. Pass it whenever the profile
   * may allow network; omitted when not given.
   */
  darwinUserCacheDir?: string | undefined;
  /**
   * Ports of the loopback proxies network traffic must go through; `[]` = a proxy is configured
   * but has no usable port, so no network at all. See `seatbeltNetworkSection`.
   */
  proxyPorts?: readonly number[] | undefined;
  /** With `proxyPorts`: also allow localhost binding and loopback traffic. */
  allowLocalBinding?: boolean | undefined;
  /** Path canonicalization; `realpathSync` falling back to the raw path by default. */
  canonicalize?: ((path: string) => string) | undefined;
}

/**
 * {@link SeatbeltOptions} plus the command to run confined.
 *
 * @example
 * ```ts
 * const options: SeatbeltArgsOptions = { policy: readOnlyPolicy(), cwd: '/repo', command: ['ls'] };
 * ```
 */
export interface SeatbeltArgsOptions extends SeatbeltOptions {
  /** The program and its arguments, placed after `--`. */
  command: readonly string[];
}

/**
 * A Seatbelt profile: its text (what `sandbox-exec -p` takes) and the parameters it reads, in
 * the order they are passed (readable roots, writable roots each followed by its read-only
 * subpaths, then `DARWIN_USER_CACHE_DIR`).
 *
 * @example
 * ```ts
 * const { policy, params } = seatbeltProfile({ policy: readOnlyPolicy(), cwd: '/repo' });
 * ```
 */
export interface SeatbeltProfile {
  policy: string;
  params: SeatbeltParam[];
}

/**
 * Builds the Seatbelt profile of a policy. The text is, joined by newlines: the base policy, the
 * file-read section, the file-write section, the network section (each present even when empty),
 * then the platform defaults when the policy includes them, then the permission profile
 * extensions. Every path is a parameter; none is in the text.
 *
 * @example
 * ```ts
 * const { policy, params } = seatbeltProfile({ policy: workspaceWritePolicy(), cwd: '/Users/me/repo', env: process.env });
 * params[0]; // { key: 'WRITABLE_ROOT_0', value: '/Users/me/repo' }
 * ```
 */
export function seatbeltProfile(options: SeatbeltOptions): SeatbeltProfile {
  const { policy, cwd, env, darwinUserCacheDir } = options;
  const canonicalize = options.canonicalize ?? canonicalPath;
  const context = { cwd, env };
  const read = seatbeltReadSection(policy, context, canonicalize);
  const write = seatbeltWriteSection(policy, context, canonicalize);
  const network = seatbeltNetworkSection({
    policy,
    proxyPorts: options.proxyPorts,
    allowLocalBinding: options.allowLocalBinding,
  });
  const sections = [SEATBELT_BASE_POLICY, read.text, write.text, network];
  if (includePlatformDefaults(policy)) sections.push(SEATBELT_PLATFORM_DEFAULTS);
  sections.push(SEATBELT_EXTENSIONS_POLICY);
  const params = [...read.params, ...write.params];
  if (darwinUserCacheDir !== undefined && darwinUserCacheDir !== '') {
    params.push({ key: 'DARWIN_USER_CACHE_DIR', value: canonicalize(darwinUserCacheDir) });
  }
  return { policy: sections.join('\n'), params };
}

/**
 * The arguments of {@link SEATBELT_EXECUTABLE} that run `command` confined by `policy`:
 * `['-p', PROFILE, '-DREADABLE_ROOT_0=…', …, '-DWRITABLE_ROOT_0=…', '-DWRITABLE_ROOT_0_RO_0=…',
 * …, '-DDARWIN_USER_CACHE_DIR=…', '--', ...command]`.
 *
 * @example
 * ```ts
 * const args = seatbeltArgs({ policy: workspaceWritePolicy(), cwd, env: process.env, command: ['npm', 'test'] });
 * spawn(SEATBELT_EXECUTABLE, args, { cwd, env: { ...process.env, CODEX_SANDBOX: 'seatbelt' } });
 * ```
 */
export function seatbeltArgs(options: SeatbeltArgsOptions): string[] {
  const { policy, params } = seatbeltProfile(options);
  return [
    '-p',
    policy,
    ...params.map(({ key, value }) => `-D${key}=${value}`),
    '--',
    ...options.command,
  ];
}

/**
 * The profile as text to show (`agent-state sandbox show --format seatbelt`): a comment header
 * listing the parameter values, then the profile exactly as {@link seatbeltArgs} passes it. The
 * values are JSON-quoted, so no path can end the comment; the whole text is itself a valid profile
 * (`sandbox-exec -f FILE -D<KEY>=<VALUE>… -- CMD`).
 *
 * @example
 * ```ts
 * process.stdout.write(seatbeltPolicyText({ policy: readOnlyPolicy(), cwd: process.cwd() }));
 * ```
 */
export function seatbeltPolicyText(options: SeatbeltOptions): string {
  const { policy, params } = seatbeltProfile(options);
  const header = [
    `; Seatbelt profile for ${SEATBELT_EXECUTABLE}, written by agent-state.`,
    params.length === 0 ? '; Parameters: none.' : '; Parameters (pass each as -D<KEY>=<VALUE>):',
    ...params.map(({ key, value }) => `;   ${key}=${JSON.stringify(value)}`),
  ];
  return `${header.join('\n')}\n\n${policy}`;
}
