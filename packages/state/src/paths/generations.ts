/**
 * Generation of the state database file (`agent_state_<N>.sqlite`). Bumped only when a schema
 * change cannot be expressed as a forward migration; older generations are then removed (they are
 * rebuildable from the rollouts). Migrations inside one generation never need a bump.
 *
 * @example
 * ```ts
 * stateDbFileName(); // 'agent_state_1.sqlite'
 * ```
 */
export const STATE_DB_GENERATION = 1;

/**
 * Generation of the logs database file (`agent_logs_<N>.sqlite`).
 *
 * @example
 * ```ts
 * logsDbFileName(); // 'agent_logs_1.sqlite'
 * ```
 */
export const LOGS_DB_GENERATION = 1;

/**
 * Base name of the state database files, without generation and extension.
 *
 * @example
 * ```ts
 * matchGeneration('agent_state_2.sqlite', STATE_DB_BASENAME, STATE_DB_GENERATION);
 * // { kind: 'newer', generation: 2 }
 * ```
 */
export const STATE_DB_BASENAME = 'agent_state';

/**
 * Base name of the logs database files, without generation and extension.
 *
 * @example
 * ```ts
 * matchGeneration('agent_logs_0.sqlite', LOGS_DB_BASENAME, LOGS_DB_GENERATION);
 * // { kind: 'older', generation: 0 }
 * ```
 */
export const LOGS_DB_BASENAME = 'agent_logs';

/**
 * SQLite `application_id` stamped in every database agent-state creates (ASCII `AGST`). Legacy
 * cleanup only ever removes files that carry it, so no other program's database is touched.
 *
 * @example
 * ```ts
 * db.pragma('application_id', { simple: true }) === AGENT_STATE_APPLICATION_ID;
 * ```
 */
export const AGENT_STATE_APPLICATION_ID = 0x41475354;

/**
 * File name of the state database for a generation (default: the current one).
 *
 * @example
 * ```ts
 * stateDbFileName(); // 'agent_state_1.sqlite'
 * stateDbFileName(3); // 'agent_state_3.sqlite'
 * ```
 */
export function stateDbFileName(generation: number = STATE_DB_GENERATION): string {
  return `${STATE_DB_BASENAME}_${generation}.sqlite`;
}

/**
 * File name of the logs database for a generation (default: the current one).
 *
 * @example
 * ```ts
 * logsDbFileName(); // 'agent_logs_1.sqlite'
 * ```
 */
export function logsDbFileName(generation: number = LOGS_DB_GENERATION): string {
  return `${LOGS_DB_BASENAME}_${generation}.sqlite`;
}

/**
 * Where a file name stands relative to the current generation of one of our databases.
 *
 * @example
 * ```ts
 * const match: GenerationMatch | null = matchGeneration(name, 'agent_state', STATE_DB_GENERATION);
 * if (match?.kind === 'newer') console.warn(`${name} was written by a newer agent-state`);
 * ```
 */
export type GenerationMatch =
  | { kind: 'current' }
  | { kind: 'older'; generation: number | null }
  | { kind: 'newer'; generation: number };

/**
 * Classifies a main database file name (no `-wal`/`-shm`/`-journal` suffix) against one of our
 * database families. `agent_state.sqlite` (no number) counts as an older generation; names that
 * are not ours return `null`.
 *
 * @example
 * ```ts
 * matchGeneration('agent_state_0.sqlite', 'agent_state', 1); // { kind: 'older', generation: 0 }
 * matchGeneration('state_5.sqlite', 'agent_state', 1); // null: Codex's, never ours
 * ```
 */
export function matchGeneration(
  fileName: string,
  basename: string,
  current: number,
): GenerationMatch | null {
  if (fileName === `${basename}.sqlite`) return { kind: 'older', generation: null };
  const prefix = `${basename}_`;
  if (!fileName.startsWith(prefix) || !fileName.endsWith('.sqlite')) return null;
  const digits = fileName.slice(prefix.length, -'.sqlite'.length);
  if (!/^\d+$/.test(digits)) return null;
  const generation = Number(digits);
  if (generation === current) return { kind: 'current' };
  return generation < current ? { kind: 'older', generation } : { kind: 'newer', generation };
}
