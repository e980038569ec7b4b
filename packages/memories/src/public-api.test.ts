import { fileURLToPath } from 'node:url';

import { findUndocumentedExports, listPublicExports } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

describe('public API', () => {
  it('documents every export with an example', () => {
    expect(findUndocumentedExports(fileURLToPath(new URL('./index.ts', import.meta.url)))).toEqual(
      [],
    );
  });

  it('exports what it exports on purpose (the list is pinned in public-api.exports.txt)', async () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
    await expect(`${listPublicExports(entry).join('\n')}\n`).toMatchFileSnapshot(
      './public-api.exports.txt',
    );
  });

  it('the files subpath exports, documented, only what the main entry exports', () => {
    const files = fileURLToPath(new URL('./files.ts', import.meta.url));
    const main = fileURLToPath(new URL('./index.ts', import.meta.url));
    expect(findUndocumentedExports(files)).toEqual([]);
    const mainExports = new Set(listPublicExports(main));
    expect(listPublicExports(files).filter((name) => !mainExports.has(name))).toEqual([]);
    expect(listPublicExports(files)).toContain('memoryFilesStatus');
  });
});
