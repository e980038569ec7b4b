// The order of materializeRollout's file-system steps, watched (and interrupted) through a
// pass-through mock of `node:fs/promises`: the files are real, only the calls are observed.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import { ErrorCode, type LogRecord, createLogger } from '@agent-state/state';
import { compressRollouts, copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { materializeRollout } from './materialize-rollout.js';

/** A step as recorded: `open <name> <flags>`, `sync <name>`, `link <a> <b>`, `unlink <name>`. */
type Step = { op: 'open' | 'sync' | 'link' | 'unlink'; paths: string[]; flags?: string };

const hooks = vi.hoisted(() => ({
  steps: [] as Array<{ op: string; paths: string[]; flags?: string }>,
  /** Runs before the real call; may throw to make the call fail. */
  before: undefined as
    ((step: { op: string; paths: string[]; flags?: string }) => void) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const seen = (step: { op: string; paths: string[]; flags?: string }) => {
    hooks.steps.push(step);
    hooks.before?.(step);
  };
  const open: typeof actual.open = async (path, flags, mode) => {
    const name = String(path);
    seen({ op: 'open', paths: [name], flags: String(flags ?? 'r') });
    const handle = await actual.open(path, flags, mode);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      seen({ op: 'sync', paths: [name] });
      return sync();
    };
    return handle;
  };
  const link: typeof actual.link = async (from, to) => {
    seen({ op: 'link', paths: [String(from), String(to)] });
    return actual.link(from, to);
  };
  const unlink: typeof actual.unlink = async (path) => {
    seen({ op: 'unlink', paths: [String(path)] });
    return actual.unlink(path);
  };
  return { ...actual, open, link, unlink };
});

const THREAD = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const temp = tempDirs();
afterEach(() => {
  hooks.steps.length = 0;
  hooks.before = undefined;
  temp.cleanup();
});

async function compressedThread() {
  const home = copyCodexHome('v0.100.0', temp.make('home'));
  const plain = await findRolloutFileById({ home, id: THREAD });
  if (!plain) throw new Error('fixture thread missing');
  const bytes = readFileSync(plain);
  const mtimeMs = statSync(plain).mtimeMs;
  const [zst] = compressRollouts(home, { frames: 2, filter: (path) => path === plain });
  if (!zst) throw new Error('nothing compressed');
  hooks.steps.length = 0;
  return { plain, zst, bytes, mtimeMs, dir: dirname(plain) };
}

const isTemp = (path: string) => /^\..+\.[0-9a-f]{12}\.tmp$/.test(basename(path));
const indexOf = (steps: Step[], match: (step: Step) => boolean) => {
  const index = steps.findIndex(match);
  expect(index).toBeGreaterThanOrEqual(0);
  return index;
};

describe('materializeRollout: order of the steps', () => {
  it('removes the .zst only after the plain file is complete, synced and durably named', async () => {
    const { plain, zst, bytes, mtimeMs, dir } = await compressedThread();
    let plainAtRemoval: { bytes: Buffer; mtimeMs: number } | undefined;
    hooks.before = (step) => {
      if (step.op === 'unlink' && step.paths[0] === zst) {
        plainAtRemoval = { bytes: readFileSync(plain), mtimeMs: statSync(plain).mtimeMs };
      }
    };

    expect(await materializeRollout(zst)).toBe(plain);

    expect(plainAtRemoval?.bytes.equals(bytes)).toBe(true);
    expect(Math.round(plainAtRemoval?.mtimeMs ?? 0)).toBe(Math.round(mtimeMs));
    const steps = hooks.steps as Step[];
    const tempSynced = indexOf(steps, (s) => s.op === 'sync' && isTemp(s.paths[0]!));
    const linked = indexOf(
      steps,
      (s) => s.op === 'link' && isTemp(s.paths[0]!) && s.paths[1] === plain,
    );
    const folderSynced = indexOf(steps, (s) => s.op === 'sync' && s.paths[0] === dir);
    const removed = indexOf(steps, (s) => s.op === 'unlink' && s.paths[0] === zst);
    expect(tempSynced).toBeLessThan(linked);
    expect(linked).toBeLessThan(folderSynced);
    expect(folderSynced).toBeLessThan(removed);
    // The temporary name is dropped after publishing, before the .zst.
    const tempDropped = indexOf(steps, (s) => s.op === 'unlink' && isTemp(s.paths[0]!));
    expect(linked).toBeLessThan(tempDropped);
    expect(tempDropped).toBeLessThan(removed);
    expect(readdirSync(dir).filter(isTemp)).toEqual([]);
  });

  it('keeps a plain file another process publishes while this one decodes, never replacing it', async () => {
    const { plain, zst, bytes, dir } = await compressedThread();
    // Theirs was published and then appended to (a resume) while ours was being written.
    const theirs = Buffer.concat([bytes, Buffer.from('{"timestamp":"t","type":"compacted"}\n')]);
    hooks.before = (step) => {
      if (step.op === 'link' && step.paths[1] === plain) writeFileSync(plain, theirs);
    };

    expect(await materializeRollout(zst)).toBe(plain);
    expect(readFileSync(plain).equals(theirs)).toBe(true);
    expect(existsSync(zst)).toBe(false);
    expect(readdirSync(dir).filter(isTemp)).toEqual([]);
  });

  it('a write that fails (no space left) is a typed error naming the plain file; the .zst stays, the temporary file goes', async () => {
    const { plain, zst, dir } = await compressedThread();
    const compressed = readFileSync(zst);
    hooks.before = (step) => {
      if (step.op === 'sync' && isTemp(step.paths[0]!)) {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
    };

    await expect(materializeRollout(zst)).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: plain,
      message: `${plain}: cannot write the materialized rollout: no space left on the device`,
    });
    expect(readFileSync(zst).equals(compressed)).toBe(true);
    expect(existsSync(plain)).toBe(false);
    expect(readdirSync(dir).filter(isTemp)).toEqual([]);
  });

  it('a .zst that cannot be removed is logged and left; the next call removes it', async () => {
    const { plain, zst, bytes } = await compressedThread();
    const records: LogRecord[] = [];
    const logger = createLogger((record) => records.push(record), { minLevel: 'warn' });
    hooks.before = (step) => {
      if (step.op === 'unlink' && step.paths[0] === zst) {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      }
    };

    expect(await materializeRollout(zst, { logger })).toBe(plain);
    expect(existsSync(zst)).toBe(true);
    expect(readFileSync(plain).equals(bytes)).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'warn',
      fields: { path: zst, error: 'permission denied' },
    });

    hooks.before = undefined;
    hooks.steps.length = 0;
    expect(await materializeRollout(zst)).toBe(plain);
    expect(existsSync(zst)).toBe(false);
    expect(readFileSync(plain).equals(bytes)).toBe(true);
    // The plain twin was used as it was: nothing decoded, nothing linked.
    expect(hooks.steps.some((s) => s.op === 'link')).toBe(false);
  });
});
