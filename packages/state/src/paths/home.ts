import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { InvalidArgumentError } from '../errors.js';
import { logsDbFileName, stateDbFileName } from './generations.js';

/**
 * Environment variables read by {@link resolveHome}, in order of precedence.
 *
 * @example
 * ```ts
 * // The variable resolveHome reads the home from when there is no --home, if any:
 * const source = HOME_ENV_VARS.find((name) => process.env[name]?.trim()); // e.g. 'CODEX_HOME'
 * ```
 */
export const HOME_ENV_VARS = ['AGENT_STATE_HOME', 'CODEX_HOME'] as const;

/**
 * Options of {@link resolveHome}.
 *
 * @example
 * ```ts
 * const options: ResolveHomeOptions = { env: { CODEX_HOME: 'codex-home' }, cwd: '/home/me/src' };
 * resolveHome(options); // '/home/me/src/codex-home'
 * ```
 */
export interface ResolveHomeOptions {
  /** An explicit home (the CLI's `--home`); wins over everything else. */
  home?: string | undefined;
  /** The environment to read; pass `process.env` from the application's entry point. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (default `os.homedir()`), for the `~/.codex` fallback. */
  userHome?: string;
  /** Base for relative paths (default `process.cwd()`). */
  cwd?: string;
}

/**
 * The one documented place that turns flags and environment into a home directory:
 * `home`, else `$AGENT_STATE_HOME`, else `$CODEX_HOME`, else `~/.codex`. Empty values are ignored,
 * a leading `~/` (or a lone `~`) stands for the user's home directory, and the result is absolute.
 * Nothing below the CLI reads `process.env` on its own.
 *
 * @example
 * ```ts
 * const home = resolveHome({ home: options.home, env: process.env });
 * // '/home/me/.codex' when neither --home nor the variables are set
 * ```
 */
export function resolveHome(options: ResolveHomeOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const candidates: Array<[string, string | undefined]> = [
    ['--home', options.home],
    ...HOME_ENV_VARS.map((name): [string, string | undefined] => [name, options.env?.[name]]),
  ];
  for (const [source, value] of candidates) {
    if (value === undefined || value.trim() === '') continue;
    if (value.includes('\0')) throw new InvalidArgumentError(source, 'contains a NUL byte');
    // A quoted `~` reaches us unexpanded ('~/.codex' in a script or a .env file): expand it
    // rather than create a directory named `~`.
    if (value === '~' || value.startsWith('~/')) {
      return join(options.userHome ?? homedir(), value.slice(1));
    }
    return isAbsolute(value) ? resolve(value) : resolve(cwd, value);
  }
  return join(options.userHome ?? homedir(), '.codex');
}

/**
 * Absolute path of the state database under `home` (current generation).
 *
 * @example
 * ```ts
 * stateDbPath('/home/me/.codex'); // '/home/me/.codex/agent_state_1.sqlite'
 * ```
 */
export function stateDbPath(home: string): string {
  return join(home, stateDbFileName());
}

/**
 * Absolute path of the logs database under `home` (current generation).
 *
 * @example
 * ```ts
 * logsDbPath('/home/me/.codex'); // '/home/me/.codex/agent_logs_1.sqlite'
 * ```
 */
export function logsDbPath(home: string): string {
  return join(home, logsDbFileName());
}
