import { type Dirent, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import type { Logger } from '../logger.js';
import { matchGeneration } from '../paths/generations.js';
import { readSqliteHeader } from './header.js';
import { SQLITE_COMPANION_SUFFIXES } from './open-database.js';

/**
 * Options of {@link removeLegacyDatabases}.
 *
 * @example
 * ```ts
 * const options: RemoveLegacyDatabasesOptions = {
 *   home,
 *   basename: LOGS_DB_BASENAME,
 *   generation: LOGS_DB_GENERATION,
 *   applicationId: AGENT_STATE_APPLICATION_ID,
 *   logger,
 * };
 * removeLegacyDatabases(options); // e.g. ['agent_logs.sqlite']
 * ```
 */
export interface RemoveLegacyDatabasesOptions {
  home: string;
  /** Family base name, e.g. `agent_state`. */
  basename: string;
  /** Current generation of that family; only lower ones are removed. */
  generation: number;
  /** Only files whose header carries this `application_id` are removed. */
  applicationId: number;
  logger: Logger;
}

/**
 * Removes our own older database generations from `home` (`<basename>.sqlite` and
 * `<basename>_<N>.sqlite` with N below the current generation, with their `-wal`/`-shm`/`-journal`),
 * and nothing else: a file is removed only when its name is one of ours **and** the main file's
 * header carries our `application_id`. Newer generations are never removed (a newer agent-state
 * owns them). Best effort: failures are logged, never thrown. Returns the removed file names.
 *
 * @example
 * ```ts
 * removeLegacyDatabases({ home, basename: 'agent_state', generation: 2,
 *   applicationId: AGENT_STATE_APPLICATION_ID, logger });
 * // ['agent_state_1.sqlite', 'agent_state_1.sqlite-wal']
 * ```
 */
export function removeLegacyDatabases(options: RemoveLegacyDatabasesOptions): string[] {
  const { home, basename, generation, applicationId, logger } = options;
  let entries: Dirent[];
  try {
    entries = readdirSync(home, { withFileTypes: true });
  } catch (error) {
    logger.warn('cannot list the home for legacy databases', { path: home, error: String(error) });
    return [];
  }
  const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  const removed: string[] = [];
  for (const name of names) {
    const match = matchGeneration(name, basename, generation);
    if (match?.kind === 'newer') {
      logger.warn('a newer agent-state database generation is present; leaving it alone', {
        path: join(home, name),
      });
      continue;
    }
    if (match?.kind !== 'older') continue;
    const mainPath = join(home, name);
    let header: ReturnType<typeof readSqliteHeader>;
    try {
      header = readSqliteHeader(mainPath);
    } catch {
      continue;
    }
    if (header.kind !== 'sqlite' || header.applicationId !== applicationId) {
      logger.warn('a file is named like an old agent-state database but is not ours; kept', {
        path: mainPath,
      });
      continue;
    }
    // Companions first, so a crash half-way never leaves a WAL without its database.
    for (const file of [...SQLITE_COMPANION_SUFFIXES.map((s) => `${name}${s}`), name]) {
      if (!names.has(file)) continue;
      try {
        unlinkSync(join(home, file));
        removed.push(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        logger.warn('cannot remove a legacy database file', {
          path: join(home, file),
          error: String(error),
        });
      }
    }
  }
  if (removed.length > 0) logger.info('removed legacy database files', { home, files: removed });
  return removed;
}
