import { isAbsolute } from 'node:path';

import { TomlDate, TomlError, parse } from 'smol-toml';

import { InvalidSandboxPolicyError } from '../errors.js';
import {
  type SandboxPolicy,
  readOnlyPolicy,
  workspaceWritePolicy,
} from '../policy/sandbox-policy.js';
import { findTomlKeyLine } from './toml-key-location.js';

/**
 * The sandbox modes of Codex's `config.toml` (`sandbox_mode`, `--sandbox`), in its order.
 *
 * @example
 * ```ts
 * CODEX_SANDBOX_MODES.includes('workspace-write'); // true
 * ```
 */
export const CODEX_SANDBOX_MODES = Object.freeze([
  'read-only',
  'workspace-write',
  'danger-full-access',
] as const);

/**
 * A `sandbox_mode` of Codex's `config.toml`.
 *
 * @example
 * ```ts
 * const mode: CodexSandboxMode = 'workspace-write';
 * ```
 */
export type CodexSandboxMode = (typeof CODEX_SANDBOX_MODES)[number];

/**
 * The sandbox settings of a Codex `config.toml`: the resolved mode, the policy it means, and where
 * the mode came from (the active profile, the top-level `sandbox_mode`, or Codex's default,
 * read-only).
 *
 * @example
 * ```ts
 * const { mode, policy, source } = parseCodexSandboxConfig('sandbox_mode = "workspace-write"');
 * // mode 'workspace-write', source 'top-level', policy workspaceWritePolicy()
 * ```
 */
export interface CodexSandboxConfig {
  mode: CodexSandboxMode;
  policy: SandboxPolicy;
  source: 'profile' | 'top-level' | 'default';
}

/**
 * Options of {@link parseCodexSandboxConfig}.
 *
 * @example
 * ```ts
 * const options: ParseCodexSandboxConfigOptions = { profile: 'ci', path: '/home/me/.codex/config.toml' };
 * ```
 */
export interface ParseCodexSandboxConfigOptions {
  /**
   * The active profile (Codex's `--profile`). Default: the file's top-level `profile` key, if any.
   * A profile that is not in `[profiles]` is an error.
   */
  profile?: string;
  /** The file the text came from, for error messages. Default: `config.toml`. */
  path?: string;
}

const WORKSPACE_WRITE_KEYS = [
  'writable_roots',
  'network_access',
  'exclude_tmpdir_env_var',
  'exclude_slash_tmp',
] as const;

type Table = Record<string, unknown>;

/**
 * Reads the sandbox settings of a Codex `config.toml`, as Codex derives its policy from them
 * (without CLI overrides or project trust, which need more than the file):
 *
 * - the mode is the active profile's `sandbox_mode` (`[profiles.<name>]`), else the top-level
 *   `sandbox_mode`, else `read-only`;
 * - `[sandbox_workspace_write]` (`writable_roots`, absolute paths; `network_access`,
 *   `exclude_tmpdir_env_var`, `exclude_slash_tmp`, booleans defaulting to false) applies only in
 *   workspace-write mode;
 * - every policy reads everywhere: February's Codex has no config key that restricts reads.
 *
 * Keys that are not about the sandbox (`model`, `[features]`, `[projects."…"]`, …) are ignored.
 * The sandbox keys are checked even where they do not apply (Codex refuses such a file too), and
 * unknown keys in `[sandbox_workspace_write]` are refused, not ignored: a misspelt exclusion must
 * not silently leave a directory writable.
 *
 * Throws {@link InvalidSandboxPolicyError} naming the key (its `where`) and the file and line:
 * TOML syntax errors (with line and column), unknown modes, wrong types, relative writable roots,
 * unknown keys, a missing profile.
 *
 * @example
 * ```ts
 * const config = parseCodexSandboxConfig(
 *   [
 *     'model = "gpt-5-codex"',
 *     'sandbox_mode = "workspace-write"',
 *     '[sandbox_workspace_write]',
 *     'writable_roots = ["/home/me/.cache"]',
 *     'network_access = true',
 *   ].join('\n'),
 *   { path: '/home/me/.codex/config.toml' },
 * );
 * config.policy; // workspaceWritePolicy({ writableRoots: ['/home/me/.cache'], networkAccess: true })
 * ```
 */
export function parseCodexSandboxConfig(
  tomlText: string,
  options: ParseCodexSandboxConfigOptions = {},
): CodexSandboxConfig {
  const file = options.path ?? 'config.toml';
  const invalid: Invalid = (keyPath, problem) => {
    const line = findTomlKeyLine(tomlText, keyPath);
    return new InvalidSandboxPolicyError(
      formatKeyPath(keyPath),
      `${problem} (${file}${line === undefined ? '' : `:${line}`})`,
    );
  };

  let document: Table;
  try {
    document = parse(tomlText);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? '';
    throw new InvalidSandboxPolicyError(
      file,
      `TOML syntax error at line ${error.line}, column ${error.column}: ${message}\n${error.codeblock.trimEnd()}`,
      { cause: error },
    );
  }

  const readMode = (table: Table, keyPath: readonly string[]): CodexSandboxMode | undefined => {
    const value = table.sandbox_mode;
    if (value === undefined) return undefined;
    if (typeof value === 'string' && (CODEX_SANDBOX_MODES as readonly string[]).includes(value)) {
      return value as CodexSandboxMode;
    }
    const modes = CODEX_SANDBOX_MODES.map((mode) => `"${mode}"`).join(', ');
    throw invalid(
      [...keyPath, 'sandbox_mode'],
      `expected one of ${modes}; got ${describeValue(value)}`,
    );
  };
  const readTable = (value: unknown, keyPath: readonly string[]): Table | undefined => {
    if (value === undefined) return undefined;
    if (isTable(value)) return value;
    throw invalid(keyPath, `expected a table; got ${describeValue(value)}`);
  };

  // Every profile's sandbox_mode is checked, as Codex refuses a file with a bad one anywhere.
  const profiles = readTable(document.profiles, ['profiles']) ?? {};
  const profileModes = new Map<string, CodexSandboxMode | undefined>();
  for (const [name, profile] of Object.entries(profiles)) {
    const table = readTable(profile, ['profiles', name]);
    if (table) profileModes.set(name, readMode(table, ['profiles', name]));
  }
  const topLevelMode = readMode(document, []);

  let profileName = options.profile;
  if (profileName === undefined && document.profile !== undefined) {
    if (typeof document.profile !== 'string') {
      throw invalid(['profile'], `expected a profile name; got ${describeValue(document.profile)}`);
    }
    profileName = document.profile;
  }
  if (profileName !== undefined && !profileModes.has(profileName)) {
    const known = [...profileModes.keys()].map((name) => `"${name}"`).join(', ');
    throw invalid(
      ['profiles', profileName],
      `no such profile in ${file}${known ? ` (profiles: ${known})` : ' (it has no [profiles])'}`,
    );
  }

  const settings = readWorkspaceWrite(
    readTable(document.sandbox_workspace_write, ['sandbox_workspace_write']),
    invalid,
  );

  const profileMode = profileName === undefined ? undefined : profileModes.get(profileName);
  const [mode, source]: [CodexSandboxMode, CodexSandboxConfig['source']] = profileMode
    ? [profileMode, 'profile']
    : topLevelMode
      ? [topLevelMode, 'top-level']
      : ['read-only', 'default'];
  return { mode, policy: policyFor(mode, settings), source };
}

type WorkspaceWriteSettings = NonNullable<Parameters<typeof workspaceWritePolicy>[0]>;

/** The error for a bad value at `keyPath`, with the file and the key's line. */
type Invalid = (keyPath: readonly string[], problem: string) => InvalidSandboxPolicyError;

function readWorkspaceWrite(table: Table | undefined, invalid: Invalid): WorkspaceWriteSettings {
  if (!table) return {};
  const key = (name: string): string[] => ['sandbox_workspace_write', name];
  for (const name of Object.keys(table)) {
    if (!(WORKSPACE_WRITE_KEYS as readonly string[]).includes(name)) {
      throw invalid(key(name), `unknown key; expected one of ${WORKSPACE_WRITE_KEYS.join(', ')}`);
    }
  }
  const flag = (name: (typeof WORKSPACE_WRITE_KEYS)[number]): boolean | undefined => {
    const value = table[name];
    if (value === undefined || typeof value === 'boolean') return value;
    throw invalid(key(name), `expected true or false; got ${describeValue(value)}`);
  };

  let writableRoots: string[] | undefined;
  const roots = table.writable_roots;
  if (roots !== undefined) {
    if (!Array.isArray(roots)) {
      throw invalid(
        key('writable_roots'),
        `expected an array of absolute paths; got ${describeValue(roots)}`,
      );
    }
    writableRoots = roots.map((root: unknown, index) => {
      if (typeof root !== 'string') {
        throw invalid(
          key('writable_roots'),
          `element ${index}: expected an absolute path; got ${describeValue(root)}`,
        );
      }
      if (!isAbsolute(root)) {
        throw invalid(
          key('writable_roots'),
          `element ${index}: ${JSON.stringify(root)} is not an absolute path`,
        );
      }
      return root;
    });
  }
  return {
    ...(writableRoots === undefined ? {} : { writableRoots }),
    networkAccess: flag('network_access'),
    excludeTmpdirEnvVar: flag('exclude_tmpdir_env_var'),
    excludeSlashTmp: flag('exclude_slash_tmp'),
  };
}

function policyFor(mode: CodexSandboxMode, settings: WorkspaceWriteSettings): SandboxPolicy {
  switch (mode) {
    case 'read-only':
      return readOnlyPolicy();
    case 'workspace-write':
      // Full read access: February has no config key for restricted reads.
      return workspaceWritePolicy({ ...settings, readOnlyAccess: { type: 'full-access' } });
    case 'danger-full-access':
      return { type: 'danger-full-access' };
  }
}

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof TomlDate)
  );
}

/** A value as an error message shows it: `the string "yes"`, `the integer 1`, `an array`. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? `the integer ${value}` : `the float ${value}`;
  }
  if (value instanceof TomlDate) return `the date-time ${value.toISOString()}`;
  if (Array.isArray(value)) return 'an array';
  return 'a table';
}

/** `profiles."my.profile".sandbox_mode`: segments that are not bare keys are quoted. */
function formatKeyPath(keyPath: readonly string[]): string {
  return keyPath
    .map((segment) => (/^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment)))
    .join('.');
}
