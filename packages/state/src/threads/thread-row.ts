import type { Insertable, Selectable } from 'kysely';

import type { ThreadsTable } from '../store/schema.js';
import type { ThreadMetadata } from './thread-metadata.js';

/** Columns read back for a {@link ThreadMetadata} (everything but `has_user_event`, `archived`). */
export const THREAD_COLUMNS = [
  'id',
  'rollout_path',
  'created_at',
  'updated_at',
  'source',
  'model_provider',
  'cwd',
  'cli_version',
  'title',
  'sandbox_policy',
  'approval_mode',
  'tokens_used',
  'first_user_message',
  'archived_at',
  'git_sha',
  'git_branch',
  'git_origin_url',
  'thread_source',
  'agent_nickname',
  'agent_role',
  'parent_thread_id',
  'forked_from_id',
] as const;

/**
 * Columns written for a thread (by {@link threadToRow}): those read back, and `archived`, which
 * follows `archived_at`.
 */
export const THREAD_COLUMNS_WRITTEN = [
  ...THREAD_COLUMNS,
  'archived',
] as const satisfies ReadonlyArray<keyof Insertable<ThreadsTable>>;

type ThreadRow = Pick<Selectable<ThreadsTable>, (typeof THREAD_COLUMNS)[number]>;

/** Row → metadata: `''` first user message reads back as `null`. */
export function threadFromRow(row: ThreadRow): ThreadMetadata {
  return {
    id: row.id,
    rolloutPath: row.rollout_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    source: row.source,
    modelProvider: row.model_provider,
    cwd: row.cwd,
    cliVersion: row.cli_version,
    title: row.title,
    sandboxPolicy: row.sandbox_policy,
    approvalMode: row.approval_mode,
    tokensUsed: row.tokens_used,
    firstUserMessage: row.first_user_message === '' ? null : row.first_user_message,
    archivedAt: row.archived_at,
    gitSha: row.git_sha,
    gitBranch: row.git_branch,
    gitOriginUrl: row.git_origin_url,
    threadSource: row.thread_source,
    agentNickname: row.agent_nickname,
    agentRole: row.agent_role,
    parentThreadId: row.parent_thread_id,
    forkedFromId: row.forked_from_id,
  };
}

/** Metadata → row: `archived` follows `archivedAt`, a missing first user message is `''`. */
export function threadToRow(thread: ThreadMetadata): Insertable<ThreadsTable> {
  return {
    id: thread.id,
    rollout_path: thread.rolloutPath,
    created_at: thread.createdAt,
    updated_at: thread.updatedAt,
    source: thread.source,
    model_provider: thread.modelProvider,
    cwd: thread.cwd,
    cli_version: thread.cliVersion,
    title: thread.title,
    sandbox_policy: thread.sandboxPolicy,
    approval_mode: thread.approvalMode,
    tokens_used: thread.tokensUsed,
    first_user_message: thread.firstUserMessage ?? '',
    archived: thread.archivedAt === null ? 0 : 1,
    archived_at: thread.archivedAt,
    git_sha: thread.gitSha,
    git_branch: thread.gitBranch,
    git_origin_url: thread.gitOriginUrl,
    thread_source: thread.threadSource,
    agent_nickname: thread.agentNickname,
    agent_role: thread.agentRole,
    parent_thread_id: thread.parentThreadId,
    forked_from_id: thread.forkedFromId,
  };
}
