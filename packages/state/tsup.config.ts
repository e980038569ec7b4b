import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/backend.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // `stemmer` ships ESM only: bundled, so that the CommonJS build needs nothing it cannot require.
  noExternal: ['stemmer'],
});
