import { defineConfig } from 'tsup';

// The executable bundles the workspace packages it uses (and kysely, which @agent-state/state
// loads): one file starts much faster than hundreds of modules, and start-up is most of what a
// `logs_client --no-follow` costs. The native SQLite binding and commander (CommonJS, which an
// ESM bundle cannot `require` node built-ins from) stay dependencies.
const BUNDLED = [/^@agent-state\//, 'kysely'];

export default defineConfig([
  {
    // The library: `runLogsClient`, the option parser, the formatter and the tail.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Both configs build at once into dist/: spare the executable's files when cleaning.
    clean: ['!bin.js', '!bin.js.map', '!chunk-*'],
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
    external: ['better-sqlite3', 'commander'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
