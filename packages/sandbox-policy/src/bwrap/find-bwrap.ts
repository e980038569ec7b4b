import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

import { BWRAP_EXECUTABLE } from './bwrap-args.js';

/** What `execvp` searches when `PATH` is not set. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The absolute path of the bubblewrap executable on the `PATH` of `env`, or `undefined` when it is
 * not installed. Without a `PATH` (or without `env`), the usual system folders are searched.
 * Relative `PATH` entries are skipped: which sandbox runs must not depend on the working
 * directory.
 *
 * @example
 * ```ts
 * const bwrap = findBwrap({ env: process.env }); // '/usr/bin/bwrap', or undefined
 * ```
 */
export function findBwrap(
  options: { env?: Readonly<Record<string, string | undefined>> | undefined } = {},
): string | undefined {
  const path = options.env?.PATH ?? DEFAULT_PATH;
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, BWRAP_EXECUTABLE);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * True when `path` is a file this process may execute.
 *
 * @example
 * ```ts
 * isExecutableFile('/usr/bin/sandbox-exec'); // true on macOS
 * ```
 */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
