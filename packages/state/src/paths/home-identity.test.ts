import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { HOME_IDENTITY_FILE, readHomeIdentity } from './home-identity.js';

// Built by the `build` task, which turbo runs before `test`.
const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('readHomeIdentity', () => {
  it('creates the id once and reads the same one afterwards, with this host and the real path', () => {
    const home = temp.make('home');
    const first = readHomeIdentity(home);
    expect(first.homeId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(readHomeIdentity(home)).toEqual(first);
    expect(JSON.parse(readFileSync(join(home, HOME_IDENTITY_FILE), 'utf8'))).toMatchObject({
      homeId: first.homeId,
    });
  });

  it('writes nothing when asked not to create, and says the home has no id', () => {
    const home = temp.make('home');
    expect(() => readHomeIdentity(home, { create: false })).toThrow(
      expect.objectContaining({ code: ErrorCode.StoreIo }),
    );
    expect(() => readFileSync(join(home, HOME_IDENTITY_FILE))).toThrow();
  });

  it('refuses a file that is not ours rather than replacing it', () => {
    const home = temp.make('home');
    writeFileSync(join(home, HOME_IDENTITY_FILE), '{"something":"else"}');
    expect(() => readHomeIdentity(home)).toThrow(
      expect.objectContaining({ code: ErrorCode.StoreCorrupt }),
    );
    expect(readFileSync(join(home, HOME_IDENTITY_FILE), 'utf8')).toBe('{"something":"else"}');
  });

  it('gives one id to processes that create it at the same time', async () => {
    const home = temp.make('home');
    const script = `const { readHomeIdentity } = await import(${JSON.stringify(DIST)});
      process.stdout.write(readHomeIdentity(${JSON.stringify(home)}).homeId);`;
    const ids = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
            child.once('error', reject);
            child.once('exit', (code) =>
              code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)),
            );
          }),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(readHomeIdentity(home).homeId);
  });
});
