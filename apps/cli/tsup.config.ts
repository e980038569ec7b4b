import { fileURLToPath } from 'node:url';

import { defineConfig } from 'tsup';

import { directPackageImports } from './build/direct-package-imports.js';

// Everything the executable needs except the native SQLite binding is bundled into it: loading
// one file is much faster than resolving and loading hundreds (kysely alone has 279 modules), and
// start-up time is most of what a short command costs.
const BUNDLED = [/^@agent-state\//, 'kysely', 'zod', 'smol-toml'];

// The executable bundles our packages from their TypeScript sources, each import of a package
// pointed at the module that defines what it imports (see the plugin): the registration of the
// commands then loads a few small modules, and each command's implementation, loaded with
// `import()` when it runs, brings what it uses (kysely, zod, the store) in chunks of its own.
const PACKAGE_SOURCES = directPackageImports({ packagesDir: '../../packages' });

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
    // The executable, ESM only, no declarations.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    noExternal: BUNDLED,
    external: ['better-sqlite3'],
    splitting: true,
    esbuildPlugins: [PACKAGE_SOURCES],
    banner: { js: '#!/usr/bin/env node' },
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
    esbuildPlugins: [PACKAGE_SOURCES],
  },
]);
