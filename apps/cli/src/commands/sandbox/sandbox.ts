import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

import { InvalidArgumentError } from '@agent-state/state';
import {
  type ReadOnlyAccess,
  SEATBELT_EXECUTABLE,
  type SandboxPolicy,
  UnsupportedSandboxPolicyError,
  bwrapInvocation,
  checkSandboxSupport,
  currentPlatform,
  describeSandboxPolicy,
  findBwrap,
  readOnlyPolicy,
  requiresSandbox,
  seatbeltArgs,
  seatbeltPolicyText,
  toAppServerJson,
  toCoreJson,
  workspaceWritePolicy,
} from '@agent-state/sandbox-policy';

import which from 'which';

import { CommandExit } from '../../exit-codes.js';
import { type CliIo, writeJson, writeLines } from '../../output.js';
import { SANDBOX_SHOW_FORMATS } from './show-formats.js';

/** The policy flags of `sandbox show` and `sandbox exec` (design §9), as commander parses them. */
export interface SandboxPolicyFlags {
  mode?: string | undefined;
  read?: string | undefined;
  readableRoot?: string[] | undefined;
  /** `--no-platform-defaults` sets this to false. */
  platformDefaults?: boolean | undefined;
  writableRoot?: string[] | undefined;
  network?: boolean | undefined;
  cwd?: string | undefined;
}

const MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;

/**
 * The policy the flags describe. Combinations that mean nothing (`--readable-root` with full read,
 * `--network` with read-only, …) are usage errors naming the flag, so a typo never silently widens
 * or narrows a sandbox.
 */
export function policyFromFlags(flags: SandboxPolicyFlags, cwd: string): SandboxPolicy {
  const mode = flags.mode ?? 'read-only';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InvalidArgumentError(
      '--mode',
      `expected ${MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  const read = flags.read ?? 'full';
  if (read !== 'full' && read !== 'restricted') {
    throw new InvalidArgumentError(
      '--read',
      `expected full or restricted, got ${JSON.stringify(read)}`,
    );
  }
  const absolute = (flag: string) => (path: string) => {
    if (path.trim() === '') throw new InvalidArgumentError(flag, 'must not be empty');
    return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  };
  const readableRoots = (flags.readableRoot ?? []).map(absolute('--readable-root'));
  const writableRoots = (flags.writableRoot ?? []).map(absolute('--writable-root'));
  if (read === 'full' && readableRoots.length > 0) {
    throw new InvalidArgumentError(
      '--readable-root',
      'needs --read restricted (full read already reads everywhere)',
    );
  }
  if (read === 'full' && flags.platformDefaults === false) {
    throw new InvalidArgumentError('--no-platform-defaults', 'needs --read restricted');
  }
  const access: ReadOnlyAccess =
    read === 'full'
      ? { type: 'full-access' }
      : {
          type: 'restricted',
          includePlatformDefaults: flags.platformDefaults !== false,
          readableRoots,
        };
  switch (mode) {
    case 'danger-full-access':
      for (const [flag, used] of [
        ['--read', read !== 'full'],
        ['--writable-root', writableRoots.length > 0],
        ['--network', flags.network === true],
      ] as const) {
        if (used)
          throw new InvalidArgumentError(flag, 'means nothing with --mode danger-full-access');
      }
      return { type: 'danger-full-access' };
    case 'read-only':
      if (writableRoots.length > 0)
        throw new InvalidArgumentError('--writable-root', 'needs --mode workspace-write');
      if (flags.network)
        throw new InvalidArgumentError('--network', 'needs --mode workspace-write');
      return readOnlyPolicy(access);
    default:
      return workspaceWritePolicy({
        writableRoots,
        readOnlyAccess: access,
        networkAccess: flags.network === true,
      });
  }
}

/** Options of {@link runSandboxShow}. */
export interface SandboxShowOptions {
  flags: SandboxPolicyFlags;
  format: string;
  /** `--json`: the same as `format: 'json'` (every read command of the CLI takes it). */
  json?: boolean | undefined;
  /** The command for the `seatbelt` / `bwrap` formats (default `sh`). */
  command: string[];
  io: CliIo;
}

/** `agent-state sandbox show`: the policy as JSON (both wire forms) or as its enforcement. */
export async function runSandboxShow(options: SandboxShowOptions): Promise<void> {
  if (options.json === true && options.format !== 'text' && options.format !== 'json') {
    throw new InvalidArgumentError(
      '--json',
      `means --format json; it cannot go with --format ${options.format}`,
    );
  }
  const format = options.json === true ? 'json' : options.format;
  const cwd = resolve(options.flags.cwd ?? process.cwd());
  const policy = policyFromFlags(options.flags, cwd);
  const command = options.command.length > 0 ? options.command : ['sh'];
  const env = options.io.env;
  switch (format) {
    case 'text':
      writeLines(options.io.stdout, [
        describeSandboxPolicy(policy),
        JSON.stringify(toCoreJson(policy)),
      ]);
      return;
    case 'json':
      writeJson(options.io.stdout, toCoreJson(policy));
      return;
    case 'app-server-json':
      writeJson(options.io.stdout, toAppServerJson(policy));
      return;
    case 'seatbelt':
      options.io.stdout.write(seatbeltPolicyText({ policy, cwd, env }));
      return;
    case 'bwrap': {
      const { executable, args } = bwrapInvocation({ policy, cwd, command, env });
      writeLines(options.io.stdout, [[executable, ...args].map(shellWord).join(' ')]);
      return;
    }
    default:
      throw new InvalidArgumentError(
        '--format',
        `expected ${SANDBOX_SHOW_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`,
      );
  }
}

/** Options of {@link runSandboxExec}. */
export interface SandboxExecOptions {
  flags: SandboxPolicyFlags;
  command: string[];
  io: CliIo;
}

/**
 * `agent-state sandbox exec -- CMD…`: runs the command confined by the policy and exits with its
 * status (128 + the signal number when a signal ended it). Refuses, before starting anything, a
 * policy this platform cannot enforce.
 */
export async function runSandboxExec(options: SandboxExecOptions): Promise<never> {
  if (options.command.length === 0) {
    throw new InvalidArgumentError('command', 'give the command to run after `--`');
  }
  const cwd = resolve(options.flags.cwd ?? process.cwd());
  const policy = policyFromFlags(options.flags, cwd);
  const env = options.io.env;
  const platform = currentPlatform();
  if (!platform)
    throw new UnsupportedSandboxPolicyError(
      process.platform,
      'no sandbox backend for this platform',
    );
  // On Linux the bubblewrap that was checked is the one that runs (not a later PATH lookup).
  const bwrap = platform === 'linux' ? findBwrap({ env }) : undefined;
  checkSandboxSupport({ policy, platform, env, executable: bwrap });
  if (!isDirectory(cwd)) throw new InvalidArgumentError('--cwd', `${cwd} is not a directory`);
  checkCommand(options.command[0] as string, cwd, options.io);
  let executable: string;
  let args: string[];
  if (platform === 'linux') {
    ({ executable, args } = bwrapInvocation({ policy, cwd, command: options.command, env, bwrap }));
  } else if (!requiresSandbox(policy)) {
    [executable, ...args] = options.command as [string, ...string[]];
  } else if (platform === 'macos') {
    executable = SEATBELT_EXECUTABLE;
    args = seatbeltArgs({ policy, cwd, command: options.command, env });
  } else {
    // agent-state ships no Windows backend: refuse rather than run the command unconfined.
    throw new UnsupportedSandboxPolicyError(
      platform,
      'agent-state has no sandbox backend for this platform',
    );
  }
  const status = await new Promise<number>((resolveStatus, reject) => {
    const child = spawn(executable, args, { cwd, env: { ...env }, stdio: 'inherit' });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' && executable !== options.command[0]
          ? new UnsupportedSandboxPolicyError(platform, `cannot start ${executable}: not found`)
          : error,
      ),
    );
    child.once('exit', (code, signal) => {
      resolveStatus(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  throw new CommandExit(status);
}

/**
 * Checks, before any sandbox starts, that the command can run: found (on `PATH` for a bare
 * name, else relative to `cwd`) and executable. Prints the shell's message and exits 127 (not
 * found) or 126 (not executable), as a shell does, instead of a confusing sandbox error.
 */
function checkCommand(command: string, cwd: string, io: CliIo): void {
  const bare = !command.includes('/');
  const found = bare
    ? which.sync(command, { path: io.env['PATH'] ?? '', nothrow: true })
    : resolve(cwd, command);
  let problem: [number, string] | undefined;
  if (found === null) problem = [127, 'command not found'];
  else {
    try {
      if (!statSync(found).isFile()) problem = [126, 'is a directory'];
      else accessSync(found, fsConstants.X_OK);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      problem = missing ? [127, 'no such file'] : [126, 'permission denied'];
    }
  }
  if (problem) {
    io.stderr.write(`agent-state: ${command}: ${problem[1]}\n`);
    throw new CommandExit(problem[0]);
  }
}

function shellWord(word: string): string {
  return /^[\w./=:,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
