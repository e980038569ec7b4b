import { findBwrap, isExecutableFile } from '../bwrap/find-bwrap.js';
import { UnsupportedSandboxPolicyError } from '../errors.js';
import {
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
  hasFullNetworkAccess,
} from '../policy/policy-roots.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';
import { SEATBELT_EXECUTABLE } from '../seatbelt/seatbelt-profile.js';

/**
 * An operating system with a sandbox backend.
 *
 * @example
 * ```ts
 * const platform: SandboxPlatform = currentPlatform() ?? 'linux';
 * ```
 */
export type SandboxPlatform = 'linux' | 'macos' | 'windows';

/**
 * A sandbox backend, as {@link UnsupportedSandboxPolicyError.backend} names it: bubblewrap on
 * Linux, Seatbelt (`sandbox-exec`) on macOS, Codex's Windows sandbox on Windows.
 *
 * @example
 * ```ts
 * const backend: SandboxBackend = 'bwrap';
 * ```
 */
export type SandboxBackend = 'bwrap' | 'seatbelt' | 'windows';

const PLATFORM_BACKEND: Readonly<Record<SandboxPlatform, SandboxBackend>> = {
  linux: 'bwrap',
  macos: 'seatbelt',
  windows: 'windows',
};

const BACKEND_PLATFORM: Readonly<Record<SandboxBackend, SandboxPlatform>> = {
  bwrap: 'linux',
  seatbelt: 'macos',
  windows: 'windows',
};

const NODE_PLATFORMS: Partial<Record<NodeJS.Platform, SandboxPlatform>> = {
  linux: 'linux',
  darwin: 'macos',
  win32: 'windows',
};

/**
 * What {@link checkSandboxSupport} checks: a policy on a platform, with the platform's backend
 * unless `backend` names it. `env` is the environment whose `PATH` is searched for bubblewrap (the
 * CLI passes `process.env`; without it the usual system folders are searched); `executable`
 * checks that backend executable instead (a bwrap path already found, or a test double).
 *
 * @example
 * ```ts
 * const options: SandboxSupportOptions = { policy, platform: 'linux', env: process.env };
 * ```
 */
export interface SandboxSupportOptions {
  policy: SandboxPolicy;
  platform: SandboxPlatform;
  backend?: SandboxBackend | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
  executable?: string | undefined;
}

/**
 * True when running a command under `policy` takes a sandbox: everything except the policies that
 * allow writing everywhere and the network (danger-full-access, external-sandbox with network
 * enabled), which run commands as they are.
 *
 * @example
 * ```ts
 * requiresSandbox({ type: 'danger-full-access' }); // false
 * requiresSandbox(readOnlyPolicy()); // true
 * ```
 */
export function requiresSandbox(policy: SandboxPolicy): boolean {
  return !(hasFullDiskWriteAccess(policy) && hasFullNetworkAccess(policy));
}

/**
 * Throws {@link UnsupportedSandboxPolicyError} when the backend cannot enforce `policy` on
 * `platform`, so that nothing runs under a broader sandbox than asked for; returns when it can.
 *
 * - `bwrap` (Linux): needs the bubblewrap executable, unless the policy needs no sandbox (see
 *   {@link requiresSandbox}); it enforces every policy, restricted read included.
 * - `seatbelt` (macOS): needs `/usr/bin/sandbox-exec` (`SEATBELT_EXECUTABLE`, never looked up on
 *   `PATH`), unless the policy requires no sandbox.
 * - `windows`: refuses restricted read access and, as Codex's Windows backend does,
 *   danger-full-access and external-sandbox (they are not sandboxing; do not route them to it).
 *   agent-state itself ships no Windows backend: this states what Codex's backend enforces.
 * - a backend of another platform is refused.
 *
 * @example
 * ```ts
 * const platform = currentPlatform();
 * if (platform) checkSandboxSupport({ policy, platform, env: process.env });
 * // Windows, restricted read: UnsupportedSandboxPolicyError
 * // "windows sandbox cannot enforce this policy: Restricted read-only access is not yet supported by the Windows sandbox backend"
 * ```
 */
export function checkSandboxSupport(options: SandboxSupportOptions): void {
  const { policy, platform } = options;
  const backend = options.backend ?? PLATFORM_BACKEND[platform];
  if (BACKEND_PLATFORM[backend] !== platform) {
    throw new UnsupportedSandboxPolicyError(
      backend,
      `the ${backend} backend runs on ${BACKEND_PLATFORM[backend]}, not on ${platform}`,
    );
  }
  switch (backend) {
    case 'windows':
      if (policy.type === 'danger-full-access' || policy.type === 'external-sandbox') {
        throw new UnsupportedSandboxPolicyError(
          'windows',
          'DangerFullAccess and ExternalSandbox are not supported for sandboxing',
        );
      }
      if (!hasFullDiskReadAccess(policy)) {
        throw new UnsupportedSandboxPolicyError(
          'windows',
          'Restricted read-only access is not yet supported by the Windows sandbox backend',
        );
      }
      return;
    case 'bwrap': {
      if (!requiresSandbox(policy)) return;
      const executable = options.executable ?? findBwrap({ env: options.env });
      if (executable === undefined || !isExecutableFile(executable)) {
        throw new UnsupportedSandboxPolicyError(
          'bwrap',
          executable === undefined
            ? 'bubblewrap (bwrap) is not installed: no bwrap executable on PATH (install the bubblewrap package)'
            : `bubblewrap executable ${executable} does not exist or is not executable`,
        );
      }
      return;
    }
    case 'seatbelt': {
      if (!requiresSandbox(policy)) return;
      const executable = options.executable ?? SEATBELT_EXECUTABLE;
      if (!isExecutableFile(executable)) {
        throw new UnsupportedSandboxPolicyError(
          'seatbelt',
          `${executable} does not exist or is not executable`,
        );
      }
      return;
    }
  }
}

/**
 * The platform this process runs on, or `undefined` on one without a sandbox backend (such as
 * FreeBSD): then nothing can be confined, and callers must refuse rather than run unconfined.
 *
 * @example
 * ```ts
 * currentPlatform(); // 'linux' on Linux, 'macos' on macOS, 'windows' on Windows
 * currentPlatform('darwin'); // 'macos'
 * ```
 */
export function currentPlatform(
  nodePlatform: NodeJS.Platform = process.platform,
): SandboxPlatform | undefined {
  return NODE_PLATFORMS[nodePlatform];
}
