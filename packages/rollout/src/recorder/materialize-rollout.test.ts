import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ErrorCode } from '@agent-state/state';
import {
  compressRollouts,
  copyCodexHome,
  runWorkers,
  seededRandom,
  tempDirs,
  zstdCompress,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import type { ZstdDecoderKind } from '../reader/zstd-decoder.js';
import { materializeRollout } from './materialize-rollout.js';
import type {
  MaterializeWorkerArgs,
  MaterializeWorkerResult,
} from '../../test/materialize-rollout.worker.js';

const WORKER = fileURLToPath(new URL('../../test/materialize-rollout.worker.ts', import.meta.url));
/** A Codex 0.100 thread with a command run (36 lines). */
const THREAD = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const BIG_ID = '01a1fca2-aaaa-7bbb-8ccc-dddddddddddd';
const MTIME = Date.parse('2026-11-14T09:30:00.250Z') / 1000;
const DECODERS: ZstdDecoderKind[] = ['native', 'js'];

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A real Codex home with one thread compressed as Codex's worker does it (mtime kept). */
async function compressedThread(frames = 1) {
  const home = copyCodexHome('v0.100.0', temp.make('home'));
  const plain = await findRolloutFileById({ home, id: THREAD });
  if (!plain) throw new Error('fixture thread missing');
  const bytes = readFileSync(plain);
  const mtimeMs = statSync(plain).mtimeMs;
  const [zst] = compressRollouts(home, { frames, filter: (path) => path === plain });
  if (!zst) throw new Error('nothing compressed');
  return { home, plain, zst, bytes, mtimeMs };
}

/** A rollout of about `megabytes` MiB of varied lines, compressed in `frames` frames. */
function bigCompressedRollout(dir: string, megabytes: number, frames: number) {
  const random = seededRandom(7);
  const lines = [
    JSON.stringify({
      timestamp: '2026-11-14T09:00:00.000Z',
      type: 'session_meta',
      payload: { id: BIG_ID, timestamp: '2026-11-14T09:00:00.000Z', cwd: '/w', originator: 'x' },
    }),
  ];
  let size = lines[0]!.length;
  for (let n = 0; size < megabytes * 1024 * 1024; n += 1) {
    const words = Array.from({ length: 40 }, () => Math.floor(random() * 1e9).toString(36));
    const line = JSON.stringify({
      timestamp: '2026-11-14T09:00:01.000Z',
      type: 'event_msg',
      payload: { type: 'agent_message', message: `${n} ${words.join(' ')}` },
    });
    lines.push(line);
    size += line.length + 1;
  }
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  const plain = join(
    dir,
    'sessions',
    '2026',
    '11',
    '14',
    `rollout-2026-11-14T09-00-00-${BIG_ID}.jsonl`,
  );
  mkdirSync(dirname(plain), { recursive: true });
  const zst = `${plain}.zst`;
  writeFileSync(zst, zstdCompress(bytes, { frames }));
  utimesSync(zst, MTIME, MTIME);
  return { plain, zst, bytes };
}

/** Temporary files left in a folder (`.<name>.<hex>.tmp`). */
const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('materializeRollout', () => {
  it('returns a plain path as given and touches nothing', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const plain = (await findRolloutFileById({ home, id: THREAD }))!;
    const before = statSync(plain);
    expect(await materializeRollout(plain)).toBe(plain);
    expect(statSync(plain).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(plain).ino).toBe(before.ino);
  });

  for (const zstdDecoder of DECODERS) {
    for (const frames of [1, 4]) {
      it(`writes the plain file byte for byte with the mtime kept, then removes the .zst (${frames} frame(s), ${zstdDecoder})`, async () => {
        const { plain, zst, bytes, mtimeMs } = await compressedThread(frames);
        chmodSync(zst, 0o640);
        const zstAtimeMs = statSync(zst).atimeMs;

        expect(await materializeRollout(zst, { zstdDecoder })).toBe(plain);

        const info = statSync(plain); // before reading it, which moves its atime
        expect(readFileSync(plain).equals(bytes)).toBe(true);
        expect(Math.round(info.mtimeMs)).toBe(Math.round(mtimeMs));
        expect(Math.round(info.atimeMs)).toBe(Math.round(zstAtimeMs));
        expect(info.mode & 0o777).toBe(0o640);
        expect(existsSync(zst)).toBe(false);
        expect(leftovers(dirname(plain))).toEqual([]);
      });
    }

    it(`streams a large multi-frame rollout across many reads (${zstdDecoder})`, async () => {
      const { plain, zst, bytes } = bigCompressedRollout(temp.make('home'), 6, 3);
      expect(statSync(zst).size).toBeGreaterThan(256 * 1024); // more than one read
      expect(await materializeRollout(zst, { zstdDecoder })).toBe(plain);
      expect(readFileSync(plain).equals(bytes)).toBe(true);
      expect(Math.round(statSync(plain).mtimeMs)).toBe(Math.round(MTIME * 1000));
      expect(existsSync(zst)).toBe(false);
      expect(leftovers(dirname(plain))).toEqual([]);
    });
  }

  it('uses a plain twin that is already there (a materialize cut short after publishing) and removes the leftover .zst', async () => {
    const { plain, zst, bytes } = await compressedThread();
    // The twin was published, then appended to (a resumed thread) before the .zst was removed.
    const appended = Buffer.concat([bytes, Buffer.from('{"timestamp":"x","type":"compacted"}\n')]);
    writeFileSync(plain, appended);
    const inode = statSync(plain).ino;

    expect(await materializeRollout(zst)).toBe(plain);
    expect(readFileSync(plain).equals(appended)).toBe(true);
    expect(statSync(plain).ino).toBe(inode);
    expect(existsSync(zst)).toBe(false);
  });

  it('returns the plain file when another process finished materializing before the .zst could be opened', async () => {
    const { plain, zst, bytes } = await compressedThread();
    await materializeRollout(zst);
    expect(await materializeRollout(zst)).toBe(plain);
    expect(readFileSync(plain).equals(bytes)).toBe(true);
  });

  it('two real processes materializing at once end with one intact plain file and no .zst', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { plain, zst, bytes } = bigCompressedRollout(temp.make(`home-${round}`), 4, 2);
      const outcomes = await runWorkers<MaterializeWorkerResult>({
        script: WORKER,
        count: 2,
        args: (index): MaterializeWorkerArgs => ({
          path: zst,
          zstdDecoder: DECODERS[(index + round) % 2]!,
        }),
      });
      expect(outcomes.map((outcome) => outcome.value.plain)).toEqual([plain, plain]);
      // Exactly one of them wrote the plain file; the other found it or lost the race to publish.
      const wrote = outcomes.filter((outcome) =>
        outcome.value.messages.includes('materialized the compressed rollout'),
      );
      expect(wrote).toHaveLength(1);
      expect(readFileSync(plain).equals(bytes)).toBe(true);
      expect(Math.round(statSync(plain).mtimeMs)).toBe(Math.round(MTIME * 1000));
      expect(existsSync(zst)).toBe(false);
      expect(leftovers(dirname(plain))).toEqual([]);
    }
  });

  describe('a damaged .zst: a typed error naming it, nothing deleted, no temporary file left', () => {
    const cases: Array<{ name: string; damage: (zst: Buffer, frame1: number) => Buffer }> = [
      { name: 'cut short', damage: (zst) => zst.subarray(0, zst.length - 9) },
      {
        name: 'a damaged second frame',
        damage: (zst, frame1) => {
          const copy = Buffer.from(zst);
          copy.fill(0x41, frame1, frame1 + 4);
          return copy;
        },
      },
      {
        name: 'garbage after the last frame',
        damage: (zst) => Buffer.concat([zst, Buffer.from('garbage')]),
      },
      { name: 'not zstd at all', damage: () => Buffer.from('{"type":"session_meta"}\n') },
      { name: 'empty', damage: () => Buffer.alloc(0) },
    ];
    for (const zstdDecoder of DECODERS) {
      for (const { name, damage } of cases) {
        it(`${name} (${zstdDecoder})`, async () => {
          const { plain, zst, bytes } = await compressedThread();
          const half = Math.floor(bytes.length / 2);
          const first = zstdCompress(bytes.subarray(0, half));
          const damaged = damage(
            Buffer.concat([first, zstdCompress(bytes.subarray(half))]),
            first.length,
          );
          writeFileSync(zst, damaged);

          const error = await materializeRollout(zst, { zstdDecoder }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(RolloutFileError);
          const typed = error as RolloutFileError;
          expect(typed.code).toBe(ErrorCode.RolloutUnreadable);
          expect(typed.path).toBe(zst);
          expect(typed.message.startsWith(`${zst}: `)).toBe(true);
          expect(typed.offset).toBeTypeOf('number');
          expect(readFileSync(zst).equals(damaged)).toBe(true);
          expect(existsSync(plain)).toBe(false);
          expect(leftovers(dirname(plain))).toEqual([]);
        });
      }
    }
  });

  it('names the .zst when it is missing, and refuses a folder in the way of the plain file', async () => {
    const { plain, zst } = await compressedThread();
    const missing = `${plain.slice(0, -'.jsonl'.length)}-gone.jsonl.zst`;
    await expect(materializeRollout(missing)).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: missing,
      message: `${missing}: no such file`,
    });

    const bytes = readFileSync(zst);
    mkdirSync(plain);
    await expect(materializeRollout(zst)).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: plain,
    });
    expect(readFileSync(zst).equals(bytes)).toBe(true);
    expect(leftovers(dirname(plain))).toEqual([]);
  });
});
