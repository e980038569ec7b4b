import { tempDirs } from '@agent-state/test-utils';
import { errorCategory } from '@agent-state/state';
import { afterAll, describe, expect, it } from 'vitest';

import { WebErrorCode } from '../errors.js';
import { loadWebAssets } from './web-assets.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());

describe('loadWebAssets', () => {
  it('reads the built assets by their hashed names', () => {
    const assets = loadWebAssets();
    const href = assets.href('app.css');
    expect(href).toMatch(/^\/assets\/app-[0-9a-f]{12}\.css$/);
    expect(assets.file(href.slice('/assets/'.length))?.contentType).toBe('text/css; charset=utf-8');
  });

  it('says the package was not built when the assets are missing (WEB_ASSETS_MISSING)', () => {
    const empty = `${temp.make('no-assets')}/`;
    const error: unknown = (() => {
      try {
        return loadWebAssets([empty]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toMatchObject({ code: WebErrorCode.AssetsMissing });
    expect((error as Error).message).toContain('build the package');
    expect(errorCategory(error)).toBe('internal');
  });
});
