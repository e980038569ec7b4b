import { statSync } from 'node:fs';

/**
 * Whether something exists at `path`, following symbolic links, as Codex's `try_exists` checks a
 * stored rollout path: any error (missing, no permission, a dangling link) counts as "no".
 *
 * @example
 * ```ts
 * if (!fileExists(row.rolloutPath)) await store.threads.delete(row.id); // a stale row
 * ```
 */
export function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
