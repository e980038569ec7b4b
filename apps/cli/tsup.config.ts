import { fileURLToPath } from 'node:url';

import { defineConfig } from 'tsup';

// Everything the executable needs except the native SQLite binding is bundled into it: loading
// one file is much faster than resolving and loading hundreds (kysely alone has 279 modules), and
// start-up time is most of what a short command costs.
const BUNDLED = [/^@agent-state\//, 'kysely', 'zod', 'smol-toml'];

export default defineConfig([
  {
    // The library entry: `main` and `createProgram` for programmatic use.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // `import.meta.url` (the demo finds its bundled sessions with it) in the CommonJS build too.
    shims: true,
    // Both configs build at once into dist/, so neither cleans it: `pnpm build` empties it first.
    clean: false,
    target: 'node20',
  },
  {
    // The executable, ESM only, no declarations, with the backfill's extraction worker beside it
    // (the bundled worker pool starts `./extract-worker.js` next to itself), taken from the
    // rollout package's `./extract-worker` export.
    entry: {
      bin: 'src/bin.ts',
      'extract-worker': fileURLToPath(import.meta.resolve('@agent-state/rollout/extract-worker')),
    },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    noExternal: BUNDLED,
    external: ['better-sqlite3'],
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
