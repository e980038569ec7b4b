import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The environment variable naming an existing server to use instead of a throwaway cluster. */
export const TEST_PG_URL_ENV = 'AGENT_STATE_TEST_PG_URL';

/** Where the PostgreSQL server programs were found. */
export interface PostgresBinaries {
  /** The folder holding `initdb`, `pg_ctl` and `postgres`. */
  bindir: string;
  initdb: string;
  pgCtl: string;
}

let cached: { binaries: PostgresBinaries | undefined } | undefined;

/**
 * Finds the PostgreSQL server programs, once per process: the folder `pg_config --bindir` names
 * when `pg_config` is on the PATH, else the highest version under `/usr/lib/postgresql/<v>/bin`
 * (Debian's layout, which leaves them off the PATH), else the folder of the `initdb` on the PATH
 * (symbolic links followed). A folder counts only with both `initdb` and `pg_ctl` in it.
 *
 * @example
 * ```ts
 * findPostgresBinaries()?.pgCtl; // '/usr/lib/postgresql/15/bin/pg_ctl'
 * ```
 */
export function findPostgresBinaries(): PostgresBinaries | undefined {
  cached ??= { binaries: search() };
  return cached.binaries;
}

function search(): PostgresBinaries | undefined {
  const candidates = [pgConfigBindir(), ...debianBindirs(), initdbOnPath()];
  for (const bindir of candidates) {
    if (bindir === undefined) continue;
    const binaries = { bindir, initdb: join(bindir, 'initdb'), pgCtl: join(bindir, 'pg_ctl') };
    if (isExecutable(binaries.initdb) && isExecutable(binaries.pgCtl)) return binaries;
  }
  return undefined;
}

function pgConfigBindir(): string | undefined {
  const pgConfig = onPath('pg_config');
  if (!pgConfig) return undefined;
  try {
    return execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

/** `/usr/lib/postgresql/<version>/bin`, highest version first. */
function debianBindirs(): string[] {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return [];
  }
  return versions
    .filter((version) => /^\d+(\.\d+)*$/.test(version))
    .sort((a, b) => compareVersions(b, a))
    .map((version) => join(root, version, 'bin'));
}

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function initdbOnPath(): string | undefined {
  const initdb = onPath('initdb');
  return initdb ? dirname(realpathSync(initdb)) : undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The error thrown in CI when neither PostgreSQL nor `AGENT_STATE_TEST_PG_URL` is there, so that
 * the tests that need a server fail there instead of being skipped.
 *
 * @example
 * ```ts
 * if (process.env.CI) throw postgresMissingInCi();
 * ```
 */
export function postgresMissingInCi(): Error {
  return new Error(
    'PostgreSQL is needed in CI for the tests that use startTestPostgres, but no initdb/pg_ctl was ' +
      'found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH): install it ' +
      `(apt-get install postgresql) or set ${TEST_PG_URL_ENV} to the URL of a server to use`,
  );
}

/**
 * Whether {@link startTestPostgres} can run here: `AGENT_STATE_TEST_PG_URL` is set, or the
 * PostgreSQL server programs are installed. Meant for `describe.skipIf`: on a workstation without
 * PostgreSQL the tests are skipped, but in CI (`CI` set) this throws instead of returning
 * `false`, so that they are never skipped there.
 *
 * @example
 * ```ts
 * describe.skipIf(!postgresAvailable())('the PostgreSQL store', () => {
 *   let server: TestPostgres;
 *   beforeAll(async () => {
 *     server = await startTestPostgres();
 *   });
 *   afterAll(() => server.stop());
 * });
 * ```
 */
export function postgresAvailable(): boolean {
  if (process.env[TEST_PG_URL_ENV]) return true;
  if (findPostgresBinaries()) return true;
  if (process.env.CI) throw postgresMissingInCi();
  return false;
}
