import type { ThreadMetadata } from '@agent-state/state';

/**
 * A rollout says when its thread was archived only through its file's mtime; a live archive time
 * the store already holds (recorded when the thread was archived) is the better value, so it is
 * kept when both say "archived". Every path that indexes a thread the store knows applies it.
 */
export function keepArchiveTime(
  row: Pick<ThreadMetadata, 'archivedAt'> | undefined,
  fromRollout: ThreadMetadata,
): ThreadMetadata {
  if (row && row.archivedAt !== null && fromRollout.archivedAt !== null) {
    return { ...fromRollout, archivedAt: row.archivedAt };
  }
  return fromRollout;
}
