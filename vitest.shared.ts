import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ViteUserConfig, defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * The vitest configuration every package uses: co-located `src/**\/*.test.ts`, generous timeouts
 * for the multi-process tests, and a JSON report per package under `test-results/` that
 * `scripts/test-summary.mjs` adds up for CI.
 */
export function packageTestConfig(packageDir: string): ViteUserConfig {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: [
        'default',
        ['json', { outputFile: join(root, 'test-results', `${basename(packageDir)}.json`) }],
      ],
    },
  });
}
