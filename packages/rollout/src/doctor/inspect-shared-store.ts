import type { AgentStateStore, StoreInfo } from '@agent-state/state';

import type { DoctorProblem } from './doctor-report.js';
import { plural } from './problem-text.js';

/**
 * A home whose threads a shared store holds (what `store.homes.list()` of a PostgreSQL store
 * gives: its elements fit this type as they are).
 *
 * @example
 * ```ts
 * const home: SharedStoreHome = {
 *   homeId: '0f3c…', host: 'laptop', homePath: '/home/me/.codex', lastSyncAt: 1_790_000_000, threads: 42,
 * };
 * ```
 */
export interface SharedStoreHome {
  /** The home's id (`readHomeIdentity` of `@agent-state/state`). */
  homeId: string;
  /** The machine it was last pushed from. */
  host: string;
  /** Its path on that machine. */
  homePath: string;
  /** Unix seconds of its last completed sync, or `null`. */
  lastSyncAt: number | null;
  /** Threads the store holds for it. */
  threads: number;
}

/**
 * What {@link inspectSharedStore} found about a store shared by many homes, as `agent-state
 * doctor --store <url> --json` prints it (under `sharedStore`) and the web UI's health page shows.
 *
 * @example
 * ```ts
 * const report: SharedStoreReport = await inspectSharedStore(store, { server, homes });
 * for (const home of report.homes) console.log(home.host, home.homePath, home.threads);
 * ```
 */
export interface SharedStoreReport {
  /** The server, never with its password. */
  server: string;
  /** Its schema version and size. */
  info: StoreInfo;
  homes: readonly SharedStoreHome[];
  threads: { total: number; archived: number };
  search: { threads: number; indexed: number };
  usage: { threads: number; indexed: number };
  /** Warnings only: a shared store that answers has nothing an error would stop. */
  problems: DoctorProblem[];
}

/**
 * Options of {@link inspectSharedStore}.
 *
 * @example
 * ```ts
 * const options: InspectSharedStoreOptions = { server: store.path, homes: await store.homes.list() };
 * ```
 */
export interface InspectSharedStoreOptions {
  /** The server as reports show it, never with its password (`store.path`). */
  server: string;
  /** The homes the store reads (`store.homes.list()` of a PostgreSQL store). */
  homes: readonly SharedStoreHome[];
}

/**
 * A store shared by many homes (a PostgreSQL store read across homes): its schema version and
 * size, its homes, its threads and how many of them each index covers, and what is missing (a
 * home that never completed a sync, threads their homes never indexed). A few small queries, all
 * through the store contract. Each home itself is checked on its machine by {@link inspectHome}.
 *
 * @example
 * ```ts
 * import { openPostgresStore } from '@agent-state/postgres';
 *
 * const store = await openPostgresStore({ url, home, acrossHomes: true });
 * const report = await inspectSharedStore(store, { server: store.path, homes: await store.homes.list() });
 * for (const problem of report.problems) console.log(`${problem.message}\n  fix: ${problem.fix}`);
 * ```
 */
export async function inspectSharedStore(
  store: AgentStateStore,
  options: InspectSharedStoreOptions,
): Promise<SharedStoreReport> {
  const { homes } = options;
  const [info, total, archived, search, usage] = await Promise.all([
    store.info(),
    store.threads.count(),
    store.threads.count({ archived: true }),
    store.search.coverage(),
    store.usage.coverage(),
  ]);
  const problems: DoctorProblem[] = [];
  for (const home of homes) {
    if (home.lastSyncAt === null) {
      problems.push({
        severity: 'warning',
        code: 'home-never-synced',
        message: `the home ${home.homePath} on ${home.host} has never completed a sync: the store may hold part of it`,
        fix: `run \`agent-state sync\` on ${home.host}`,
      });
    }
  }
  for (const [name, coverage] of [
    ['search', search],
    ['usage', usage],
  ] as const) {
    const missing = coverage.threads - coverage.indexed;
    if (missing > 0) {
      problems.push({
        severity: 'warning',
        code: `${name}-not-indexed`,
        message: `${plural(missing, 'thread is', 'threads are')} not indexed for ${name}`,
        fix: `run \`agent-state ${name} --reindex\` in their homes, then \`agent-state sync\``,
      });
    }
  }
  return {
    server: options.server,
    info,
    homes,
    threads: { total, archived },
    search: { threads: search.threads, indexed: search.indexed },
    usage: { threads: usage.threads, indexed: usage.indexed },
    problems,
  };
}
