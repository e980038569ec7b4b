import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library entry: `main` and `createProgram` for programmatic use.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Both configs build at once into dist/: spare the executable's files when cleaning.
    clean: ['!bin.js', '!bin.js.map'],
    target: 'node20',
  },
  {
    // The executable: ESM only, no declarations.
    entry: ['src/bin.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
