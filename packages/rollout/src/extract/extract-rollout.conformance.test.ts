import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

import {
  CODEX_FIXTURE_VERSIONS,
  CODEX_SEED_COLUMNS,
  type CodexThreadRow,
  copyCodexHome,
  loadExpectedThreads,
  tempDirs,
} from '@agent-state/test-utils';
import type { ThreadMetadata } from '@agent-state/state';
import { afterEach, describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from './extract-rollout.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

type SeedRow = Pick<CodexThreadRow, (typeof CODEX_SEED_COLUMNS)[number]>;

/** The original (Codex, early 2026) columns of Codex's `threads` table, from our metadata. */
function asCodexRow(home: string, m: ThreadMetadata): SeedRow {
  return {
    id: m.id,
    rollout_path: relative(home, m.rolloutPath),
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    source: m.source,
    model_provider: m.modelProvider,
    cwd: m.cwd,
    title: m.title,
    sandbox_policy: m.sandboxPolicy,
    approval_mode: m.approvalMode,
    tokens_used: m.tokensUsed,
    archived: m.archivedAt === null ? 0 : 1,
    archived_at: m.archivedAt,
    git_sha: m.gitSha,
    git_branch: m.gitBranch,
    git_origin_url: m.gitOriginUrl,
    cli_version: m.cliVersion,
    first_user_message: m.firstUserMessage ?? '',
  };
}

describe.each(CODEX_FIXTURE_VERSIONS)('extraction on a real Codex %s home', (version) => {
  it('gives, for every rollout, exactly the row Codex stores when it backfills the same file', () => {
    const home = copyCodexHome(version, temp.make(version));
    const expected = loadExpectedThreads(version, 'backfill');
    const files = ['sessions/2026/11/21', 'archived_sessions'].flatMap((dir) =>
      readdirSync(join(home, dir)).map((name) => join(home, dir, name)),
    );
    expect(files).toHaveLength(expected.length);
    const rows = files
      .map((path) => {
        const result = extractRolloutMetadata(path, { defaultProvider: 'openai' });
        expect(result.issueCount).toBe(0);
        return asCodexRow(home, result.metadata);
      })
      .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
    const want = expected.map((row) =>
      Object.fromEntries(CODEX_SEED_COLUMNS.map((c) => [c, row[c]])),
    );
    expect(rows).toEqual(want);
  });
});
