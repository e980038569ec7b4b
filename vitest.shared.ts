import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ViteUserConfig, defineConfig } from 'vitest/config';

/** What a package adds to the shared test configuration. */
export interface PackageTestOptions {
  /** Files run before each test file (relative to the package), e.g. `['test/setup.ts']`. */
  setupFiles?: string[];
}

const root = dirname(fileURLToPath(import.meta.url));

/**
 * The vitest configuration every package uses: co-located `src/**\/*.test.ts`, generous timeouts
 * for the multi-process tests, and a JSON report per package under `test-results/` that
 * `scripts/test-summary.mjs` adds up for CI.
 */
export function packageTestConfig(
  packageDir: string,
  options: PackageTestOptions = {},
): ViteUserConfig {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      setupFiles: options.setupFiles ?? [],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: [
        'default',
        ['json', { outputFile: join(root, 'test-results', `${basename(packageDir)}.json`) }],
      ],
    },
  });
}
