import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import {
  AgentStateError,
  ErrorCode,
  isAgentStateError,
  logsDbFileName,
  logsDbPath,
  openLogsDatabaseReadOnly,
} from '@agent-state/state';

const CODEX_LOGS_DB = /^logs_(\d+)\.sqlite$/;
const CODEX_STATE_DB = /^state(?:_(\d+))?\.sqlite$/;

/**
 * Whose log database of a home to read: agent-state's own (`agent_logs_1.sqlite`) or Codex's.
 *
 * @example
 * ```ts
 * const source: LogsDatabaseSource = 'codex'; // logs_client --source codex
 * ```
 */
export type LogsDatabaseSource = 'agent-state' | 'codex';

/**
 * The log database {@link locateLogsDatabase} picked, whose it is, and the other one when the home
 * has both.
 *
 * @example
 * ```ts
 * const { path, source, other } = locateLogsDatabase('/home/me/.codex');
 * if (other) console.error(`reading ${path}; ${other} is there too`);
 * ```
 */
export interface LogsDatabaseLocation {
  path: string;
  source: LogsDatabaseSource;
  /** The database of the other source, when the home has one too (without `options.source`). */
  other: string | undefined;
}

/**
 * The log database of a home, when `--db` is not given. agent-state's (`agent_logs_1.sqlite`) if
 * it exists, else Codex's newest: `logs_<N>.sqlite` with the highest N (`logs_2.sqlite` of Codex
 * 0.169, then `logs_1.sqlite`), else the `state_<N>.sqlite` with the highest N that has a `logs`
 * table (Codex 0.100 kept its logs there). `options.source` reads only that one (`--source`).
 * Codex's files are only opened read-only to look. Throws an `AgentStateError` with code
 * `NOT_FOUND` (exit 3) naming the home and what was looked for when there is none.
 *
 * @example
 * ```ts
 * locateLogsDatabase('/home/me/.codex');
 * // { path: '/home/me/.codex/agent_logs_1.sqlite', source: 'agent-state',
 * //   other: '/home/me/.codex/logs_2.sqlite' }
 * locateLogsDatabase('/home/me/.codex', { source: 'codex' }).path; // '/home/me/.codex/logs_2.sqlite'
 * ```
 */
export function locateLogsDatabase(
  home: string,
  options: { source?: LogsDatabaseSource | undefined } = {},
): LogsDatabaseLocation {
  let names: string[];
  try {
    if (!statSync(home).isDirectory()) throw new Error('not a directory');
    names = readdirSync(home);
  } catch {
    throw new AgentStateError(
      ErrorCode.NotFound,
      `home ${home} not found (pass --codex-home DIR, or --db FILE to read one database)`,
      { path: home },
    );
  }
  const ours = logsDbFileName();
  const agentState = names.includes(ours) ? logsDbPath(home) : undefined;
  switch (options.source) {
    case 'agent-state':
      if (agentState !== undefined)
        return { path: agentState, source: 'agent-state', other: undefined };
      throw new AgentStateError(
        ErrorCode.NotFound,
        `no agent-state log database in ${home}: looked for ${ours} (--source codex reads Codex's)`,
        { path: home },
      );
    case 'codex': {
      const codex = findCodexLogs(home, names);
      if (codex !== undefined) return { path: codex, source: 'codex', other: undefined };
      throw new AgentStateError(
        ErrorCode.NotFound,
        `no Codex log database in ${home}: looked for logs_<N>.sqlite and a logs table in state_<N>.sqlite (--source agent-state reads ${ours})`,
        { path: home },
      );
    }
    case undefined: {
      if (agentState !== undefined) {
        // Codex's is only mentioned then: a Codex file that cannot be read must not stop this.
        let codex: string | undefined;
        try {
          codex = findCodexLogs(home, names);
        } catch {
          codex = undefined;
        }
        return { path: agentState, source: 'agent-state', other: codex };
      }
      const codex = findCodexLogs(home, names);
      if (codex !== undefined) return { path: codex, source: 'codex', other: undefined };
      throw new AgentStateError(
        ErrorCode.NotFound,
        `no log database in ${home}: looked for ${ours}, Codex's logs_<N>.sqlite and a logs table in its state_<N>.sqlite (pass --db FILE to read another file)`,
        { path: home },
      );
    }
  }
}

/**
 * The path of the log database of a home, as {@link locateLogsDatabase} picks it.
 *
 * @example
 * ```ts
 * findLogsDatabase('/home/me/.codex'); // '/home/me/.codex/logs_2.sqlite'
 * findLogsDatabase('/home/me/.codex', { source: 'codex' }); // Codex's even when agent-state's is there
 * ```
 */
export function findLogsDatabase(
  home: string,
  options: { source?: LogsDatabaseSource | undefined } = {},
): string {
  return locateLogsDatabase(home, options).path;
}

/** Codex's newest log database among `names` (in `home`), if any. */
function findCodexLogs(home: string, names: readonly string[]): string | undefined {
  const codexLogs = newestFirst(names, CODEX_LOGS_DB)[0];
  if (codexLogs !== undefined) return join(home, codexLogs);
  for (const name of newestFirst(names, CODEX_STATE_DB)) {
    const path = join(home, name);
    if (hasLogsTable(path)) return path;
  }
  return undefined;
}

/** The names matching `pattern` (its group 1 a generation, none counting as 0), highest first. */
function newestFirst(names: readonly string[], pattern: RegExp): string[] {
  return names
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ name, match }) => ({ name, generation: Number(match[1] ?? 0) }))
    .sort((a, b) => b.generation - a.generation)
    .map(({ name }) => name);
}

/**
 * Whether the SQLite file at `path` has a `logs` table (opened read-only; a file gone meanwhile
 * has none; other errors are thrown).
 */
function hasLogsTable(path: string): boolean {
  try {
    openLogsDatabaseReadOnly(path).close();
    return true;
  } catch (error) {
    if (isAgentStateError(error) && error.code === ErrorCode.NotFound) return false;
    throw error;
  }
}
