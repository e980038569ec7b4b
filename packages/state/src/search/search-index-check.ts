import type Database from 'better-sqlite3';

/**
 * Whether the full-text index agrees with the search documents it indexes (FTS5's
 * `integrity-check`, comparing with the content table): `[]` when it does, else one problem.
 */
export function searchIndexCheck(db: Database.Database): string[] {
  try {
    db.prepare("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)").run();
    return [];
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return [`search index: ${detail} (rebuild it: agent-state search --rebuild)`];
  }
}
