import { defineConfig } from 'tsup';

// The browser assets (scripts and CSS) are built first by `build/build-client.ts` into
// dist/assets/; tsup then builds the library beside them without cleaning dist/ (the `build`
// script empties it before both). The server finds the assets with `import.meta.url`, in the ESM
// and, through the shim, the CommonJS build.
// `transcript-html` is the HTML renderer alone (`@agent-state/web/transcript-html`), without the
// server: what `agent-state threads export --format html` loads.
export default defineConfig({
  entry: { index: 'src/index.ts', 'transcript-html': 'src/transcript/render-transcript-html.tsx' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: false,
  shims: true,
  target: 'node20',
});
