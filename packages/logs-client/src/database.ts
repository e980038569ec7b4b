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
 * The log database of a home, when `--db` is not given: ours (`agent_logs_1.sqlite`) if it exists,
 * else Codex's newest: `logs_<N>.sqlite` with the highest N (`logs_2.sqlite` of Codex 0.169, then
 * `logs_1.sqlite`), else the `state_<N>.sqlite` with the highest N that has a `logs` table (Codex
 * 0.100 kept its logs there). Codex's files are only opened read-only to look. Throws an
 * `AgentStateError` with code `NOT_FOUND` (exit 3) naming the home and what was looked for when
 * there is none.
 *
 * @example
 * ```ts
 * findLogsDatabase('/home/me/.codex'); // '/home/me/.codex/logs_2.sqlite'
 * ```
 */
export function findLogsDatabase(home: string): string {
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
  if (names.includes(ours)) return logsDbPath(home);

  const codexLogs = newestFirst(names, CODEX_LOGS_DB)[0];
  if (codexLogs !== undefined) return join(home, codexLogs);
  for (const name of newestFirst(names, CODEX_STATE_DB)) {
    const path = join(home, name);
    if (hasLogsTable(path)) return path;
  }
  throw new AgentStateError(
    ErrorCode.NotFound,
    `no log database in ${home}: looked for ${ours}, Codex's logs_<N>.sqlite and a logs table in its state_<N>.sqlite (pass --db FILE to read another file)`,
    { path: home },
  );
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

/** Whether the SQLite file at `path` has a `logs` table (opened read-only; other errors thrown). */
function hasLogsTable(path: string): boolean {
  try {
    openLogsDatabaseReadOnly(path).close();
    return true;
  } catch (error) {
    if (isAgentStateError(error) && error.code === ErrorCode.NotFound) return false;
    throw error;
  }
}
