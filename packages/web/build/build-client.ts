// Builds the browser assets of the web UI into dist/assets/ (run by `pnpm build` before tsup, and
// by the tests' global setup): the scripts bundled with esbuild (uPlot included: the published
// package fetches nothing), the stylesheet (ours and uPlot's), each named by a hash of its
// content, and manifest.json mapping each asset's name to its file.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build, transform } from 'esbuild';

import { APP_CSS } from '../src/styles/app-css.js';
import { BASE_CSS } from '../src/styles/base-css.js';
import { TRANSCRIPT_CSS } from '../src/styles/transcript-css.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The scripts, by the name the pages use. */
const SCRIPTS = {
  'app.js': 'src/client/app.ts',
  'usage-charts.js': 'src/client/usage-charts.ts',
} as const;

function hashed(name: string, content: string | Uint8Array): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

/** Builds the assets into `outDir` (default the package's dist/assets/), replacing what it held. */
export async function buildClient(outDir = join(packageDir, 'dist', 'assets')): Promise<void> {
  const files = new Map<string, string>();
  for (const [name, entry] of Object.entries(SCRIPTS)) {
    const result = await build({
      entryPoints: [join(packageDir, entry)],
      bundle: true,
      minify: true,
      format: 'iife',
      target: ['es2022'],
      platform: 'browser',
      write: false,
      legalComments: 'none',
    });
    files.set(name, result.outputFiles[0]!.text);
  }
  const require = createRequire(import.meta.url);
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const css = await transform(`${uplotCss}\n${BASE_CSS}${TRANSCRIPT_CSS}${APP_CSS}`, {
    loader: 'css',
    minify: true,
  });
  files.set('app.css', css.code);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest: Record<string, string> = {};
  for (const [name, content] of files) {
    const fileName = hashed(name, content);
    manifest[name] = fileName;
    writeFileSync(join(outDir, fileName), content);
  }
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildClient();
}
