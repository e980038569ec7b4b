import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { AgentStateError } from '@agent-state/state';

import { WebErrorCode } from '../errors.js';

/** The assets the pages name, by their name before hashing. */
export type AssetName = 'app.js' | 'usage-charts.js' | 'app.css';

/** What `build/build-client.ts` writes beside the files: each asset's hashed file name. */
export type AssetManifest = Record<AssetName, string>;

/** One asset, held in memory. */
export interface AssetFile {
  body: string;
  contentType: string;
}

/** The browser assets of the UI, read once when the server starts. */
export interface WebAssets {
  /** The URL path of an asset (`/assets/app-3f2a….js`). */
  href(name: AssetName): string;
  /** An asset by its hashed file name, or `undefined` for any other name. */
  file(fileName: string): AssetFile | undefined;
}

export const ASSETS_PATH = '/assets/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Where the built assets are: `assets/` beside this module in the published package (dist/, ESM
 * or CommonJS alike), else the package's `dist/assets/` when this module runs from its source
 * (the tests build the assets there first).
 */
function assetDirectories(): string[] {
  return [
    new URL('./assets/', import.meta.url),
    new URL('../../dist/assets/', import.meta.url),
  ].map((url) => fileURLToPath(url));
}

/**
 * Reads the manifest and the assets it lists from the first of `directories` (each ending in `/`)
 * that has one. Throws `WEB_ASSETS_MISSING` when none has: the package was not built.
 */
export function loadWebAssets(directories: readonly string[] = assetDirectories()): WebAssets {
  const directory = directories.find((candidate) => existsSync(`${candidate}manifest.json`));
  if (directory === undefined) {
    throw new AgentStateError(
      WebErrorCode.AssetsMissing,
      "the web UI's assets are missing (assets/manifest.json beside @agent-state/web's dist/index.js): build the package",
    );
  }
  const manifest = JSON.parse(readFileSync(`${directory}manifest.json`, 'utf8')) as AssetManifest;
  const files = new Map<string, AssetFile>();
  for (const fileName of Object.values(manifest)) {
    const extension = fileName.slice(fileName.lastIndexOf('.'));
    files.set(fileName, {
      body: readFileSync(`${directory}${fileName}`, 'utf8'),
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    });
  }
  return {
    href: (name) => `${ASSETS_PATH}${manifest[name]}`,
    file: (fileName) => files.get(fileName),
  };
}
