import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A set of temporary directories removed together. */
export interface TempDirs {
  /** Creates a fresh empty directory under the OS temp dir. */
  make(label?: string): string;
  /** Removes every directory made so far. */
  cleanup(): void;
}

/**
 * Temporary directories for tests; call `cleanup()` in `afterEach`.
 *
 * @example
 * ```ts
 * const temp = tempDirs();
 * afterEach(() => temp.cleanup());
 * it('opens a store', async () => {
 *   const store = await openStateStore({ home: temp.make('home') });
 * });
 * ```
 */
export function tempDirs(): TempDirs {
  const made: string[] = [];
  return {
    make(label = 'tmp') {
      const dir = mkdtempSync(join(tmpdir(), `agent-state-${label}-`));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) {
        // Make read-only test dirs removable again before removing them.
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}
