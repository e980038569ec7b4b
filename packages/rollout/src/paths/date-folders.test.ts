import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { MAX_MONTH_OR_DAY_FOLDER, MAX_YEAR_FOLDER, dateFolderNames } from './date-folders.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function entriesOf(names: string[], extra?: (dir: string) => void) {
  const dir = temp.make('dates');
  for (const name of names) mkdirSync(join(dir, name));
  extra?.(dir);
  return readdirSync(dir, { withFileTypes: true });
}

describe('dateFolderNames', () => {
  it('reads folder names as Rust parses a u16 year: digits, an optional +, at most 65535', () => {
    const names = [
      '2025',
      '2026',
      '+2027',
      '0099',
      '65535',
      '65536',
      '70000',
      'x2026',
      '2026-old',
      '+',
    ];
    const entries = entriesOf(names, (dir) => {
      writeFileSync(join(dir, '2031'), 'a file, not a folder');
      symlinkSync(join(dir, '2025'), join(dir, '2030')); // a link to a folder is not walked
    });
    expect(dateFolderNames(entries, MAX_YEAR_FOLDER)).toEqual([
      '65535',
      '+2027',
      '2026',
      '2025',
      '0099',
    ]);
  });

  it('caps months and days at 255, like a u8', () => {
    const entries = entriesOf(['01', '12', '255', '256', '+7', '007']);
    expect(dateFolderNames(entries, MAX_MONTH_OR_DAY_FOLDER)).toEqual([
      '255',
      '12',
      '007',
      '+7',
      '01',
    ]);
  });
});
