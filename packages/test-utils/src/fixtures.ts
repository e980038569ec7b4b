import { cpSync, existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from './bench-report.js';

/**
 * The homes real Codex wrote that are in the repository's `fixtures/codex-homes`: one per version,
 * plus `v0.169.0-compressed`, a lived-in 0.169.0 home (cold rollouts compressed to `.jsonl.zst`, a
 * fork by reference, a sub-agent thread) that has only Codex's backfill answer.
 */
export type CodexFixtureVersion = 'v0.100.0' | 'v0.169.0' | 'v0.169.0-compressed';

/** The two fresh homes, one per Codex version (each has live and backfill answers and logs). */
export const CODEX_FIXTURE_VERSIONS: readonly CodexFixtureVersion[] = ['v0.100.0', 'v0.169.0'];

/**
 * The repository's `fixtures/` folder: data written by real Codex, committed with the code so a
 * plain clone tests with nothing beside it.
 */
export function fixturesRoot(): string {
  return join(repoRoot(), 'fixtures');
}

/** Folder of one Codex fixture version (`home/`, `expected-threads.json`, …). */
export function codexFixtureDir(version: CodexFixtureVersion): string {
  return join(fixturesRoot(), 'codex-homes', version);
}

/** Folder of the Codex log database fixtures of one version. */
export function codexLogsFixtureDir(version: CodexFixtureVersion): string {
  return join(fixturesRoot(), 'codex-logs', version);
}

/**
 * Copies a real Codex home into `destination` and restores the rollouts' mtimes (Codex derives
 * `updated_at` from them and git does not keep them). The fixtures themselves are never modified.
 *
 * @example
 * ```ts
 * const home = temp.make('codex-home');
 * copyCodexHome('v0.169.0', home);
 * ```
 */
export function copyCodexHome(version: CodexFixtureVersion, destination: string): string {
  const source = codexFixtureDir(version);
  cpSync(join(source, 'home'), destination, { recursive: true });
  const mtimes = JSON.parse(readFileSync(join(source, 'mtimes.json'), 'utf8')) as Record<
    string,
    { mtime_s: number; mtime_ms: number }
  >;
  for (const [relative, { mtime_ms }] of Object.entries(mtimes)) {
    const path = join(destination, relative);
    if (existsSync(path)) utimesSync(path, mtime_ms / 1000, mtime_ms / 1000);
  }
  return destination;
}

/** One row of Codex's own `threads` table as stored in `expected-threads*.json`. */
export interface CodexThreadRow {
  id: string;
  rollout_path: string;
  created_at: number;
  updated_at: number;
  source: string;
  model_provider: string;
  cwd: string;
  title: string;
  sandbox_policy: string;
  approval_mode: string;
  tokens_used: number;
  has_user_event: number;
  archived: number;
  archived_at: number | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  cli_version: string;
  first_user_message: string;
  [more: string]: unknown;
}

/**
 * The columns of {@link CodexThreadRow} that a thread's metadata determines (the original
 * columns; `has_user_event` is not one: Codex stores 0 in every row).
 *
 * @example
 * ```ts
 * const want = rows.map((row) => Object.fromEntries(CODEX_SEED_COLUMNS.map((c) => [c, row[c]])));
 * ```
 */
export const CODEX_SEED_COLUMNS = [
  'id',
  'rollout_path',
  'created_at',
  'updated_at',
  'source',
  'model_provider',
  'cwd',
  'title',
  'sandbox_policy',
  'approval_mode',
  'tokens_used',
  'archived',
  'archived_at',
  'git_sha',
  'git_branch',
  'git_origin_url',
  'cli_version',
  'first_user_message',
] as const;

/**
 * Codex's own answer for a fixture home: the rows of its `threads` table, live (`live`) or as
 * Codex's own backfill of the files stores them (`backfill`).
 */
export function loadExpectedThreads(
  version: CodexFixtureVersion,
  kind: 'live' | 'backfill' = 'live',
): CodexThreadRow[] {
  const file = kind === 'live' ? 'expected-threads.json' : 'expected-threads.backfill.json';
  return JSON.parse(readFileSync(join(codexFixtureDir(version), file), 'utf8')) as CodexThreadRow[];
}
