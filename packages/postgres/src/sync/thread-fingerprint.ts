import { createHash } from 'node:crypto';

import type { ThreadMetadata } from '@agent-state/state';

/**
 * Bumped when what `sync` pushes for a thread changes shape or meaning, so that the next sync
 * pushes every thread again (its fingerprints all differ, and the home's sync watermark, which
 * records the format, no longer applies).
 */
export const SYNC_FORMAT = 1;

/** What a thread's fingerprint covers besides its row. */
export interface FingerprintParts {
  /** Whether the local search index covers the thread (its documents are pushed). */
  search: boolean;
  /** Whether the local usage index covers the thread (its records are pushed). */
  usage: boolean;
  /** Whether the pushed text was redacted. */
  redacted: boolean;
}

/**
 * What `sync` knows a pushed thread by: a hash of its local row, of which derived indexes cover
 * it and of how it was pushed. A thread whose fingerprint on the server equals the local one is
 * not pushed again. Derived records are written with their row, in the same transaction, so a row
 * unchanged means records unchanged (`sync --full` pushes everything when in doubt).
 */
export function threadFingerprint(thread: ThreadMetadata, parts: FingerprintParts): string {
  const hash = createHash('sha256');
  hash.update(
    `${SYNC_FORMAT}|${parts.search ? 1 : 0}${parts.usage ? 1 : 0}${parts.redacted ? 1 : 0}|`,
  );
  hash.update(JSON.stringify(thread, Object.keys(thread).sort()));
  return hash.digest('base64url').slice(0, 27);
}
