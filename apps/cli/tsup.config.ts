import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'tsup';

// Everything the executable needs except the native SQLite binding is bundled into it: loading
// one file is much faster than resolving and loading hundreds (kysely alone has 279 modules), and
// start-up time is most of what a short command costs.
const BUNDLED = [
  /^@agent-state\//,
  'kysely',
  'zod',
  'smol-toml',
  /^hono(?:\/|$)/,
  '@hono/node-server',
];

/**
 * The web UI's browser assets, copied from @agent-state/web's dist/assets/ to dist/assets/: the
 * bundled web code finds them beside the module that holds it, as in its own package.
 */
function copyWebAssets(): void {
  const webDist = dirname(fileURLToPath(import.meta.resolve('@agent-state/web')));
  cpSync(join(webDist, 'assets'), fileURLToPath(new URL('./dist/assets', import.meta.url)), {
    recursive: true,
  });
}

export default defineConfig([
  {
    // The library entry: `main` and `createProgram` for programmatic use.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // `import.meta.url` (the demo finds its bundled sessions with it) in the CommonJS build too.
    shims: true,
    // The configs build at once into dist/, so none cleans it: `pnpm build` empties it first.
    clean: false,
    target: 'node20',
  },
  {
    // The executable, ESM only, no declarations. Our packages are bundled through their public
    // entry points (`exports`); with code splitting, each command's implementation, loaded with
    // `import()` when it runs, comes in chunks of its own.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    noExternal: BUNDLED,
    external: ['better-sqlite3'],
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
    onSuccess: async () => copyWebAssets(),
  },
  {
    // The backfill's extraction worker, beside the executable's chunks (the bundled worker pool
    // starts `./extract-worker.js` next to itself): one file without code splitting, holding the
    // extraction code and nothing else (no SQLite, no kysely, no commander), so that each worker
    // thread starts fast.
    entry: {
      'extract-worker': fileURLToPath(import.meta.resolve('@agent-state/rollout/extract-worker')),
    },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    noExternal: BUNDLED,
    external: ['better-sqlite3'],
    splitting: false,
  },
]);
