import { defineConfig } from 'tsup';

export default defineConfig({
  // The extraction worker is its own entry: the backfill starts it as `dist/extract-worker.js`
  // (beside the module holding the pool), and bundlers take it from the `./extract-worker` export.
  entry: { index: 'src/index.ts', 'extract-worker': 'src/backfill/extract-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'extract-worker': 'src/backfill/extract-worker.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
});
