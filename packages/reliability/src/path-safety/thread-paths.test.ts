import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  ArchiveRefusedError,
  appendThreadName,
  archiveThread,
  findThread,
  findThreadName,
  parseRolloutFileName,
  runBackfill,
  unarchiveThread,
} from '@agent-state/rollout';
import { InvalidArgumentError, ManualClock, openStateStore } from '@agent-state/state';
import { copyCodexHome, repoRoot, tempDirs } from '@agent-state/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { recordMatrix, seed, trials } from '../harness/trials.js';
import { snapshotTree } from './snapshot.js';

const run = promisify(execFile);
const temp = tempDirs();
afterEach(() => temp.cleanup());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAMPLE_ID = '01a1fca2-1f68-7ec1-9034-0ec41ef36cca';
/** Codex's thread-name index, at the root of a home (what `appendThreadName` appends to). */
const SESSION_INDEX_FILE = 'session_index.jsonl';

/** Ids built from untrusted data that must never become a path. */
const HOSTILE_IDS = [
  '../x',
  '/etc/passwd',
  'a\u0000b',
  `${SAMPLE_ID}/../../outside`,
  `../${SAMPLE_ID}`,
  `${SAMPLE_ID}\u0000`,
  `${SAMPLE_ID}/`,
  `..\\${SAMPLE_ID}`,
  '',
  '.',
];

const hostileIdArb = fc.oneof(
  fc.constantFrom(...HOSTILE_IDS),
  fc
    .tuple(
      fc.constantFrom('', '../', '/', './', '..\\', '\u0000', '%2e%2e/'),
      fc.constantFrom(SAMPLE_ID, SAMPLE_ID.toUpperCase(), 'x'),
      fc.constantFrom('', '/..', '\u0000', '/../../etc/passwd', '\n', ' '),
    )
    .map(([a, b, c]) => `${a}${b}${c}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** A home (a real Codex fixture) beside an `outside` folder holding files worth protecting. */
function layout(): { home: string; outside: string } {
  const root = temp.make('path-safety');
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'passwd'), 'root:x:0:0\n');
  writeFileSync(join(outside, `${SAMPLE_ID}.md`), 'not yours\n');
  copyCodexHome('v0.169.0', home);
  return { home, outside };
}

function findActiveRollout(home: string): { path: string; id: string } {
  const stack = [join(home, 'sessions')];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      const parsed = entry.isFile() ? parseRolloutFileName(full) : undefined;
      if (parsed) return { path: full, id: parsed.id };
    }
  }
  throw new Error('no active rollout in the fixture');
}

describe('path safety: thread ids, names and rollout paths', () => {
  it('refuses every non-UUID thread id in the library, before touching the file system', async () => {
    const matrix = 'path-safety/thread-ids';
    const matrixSeed = seed(matrix);
    const numRuns = trials({ ci: 60, soak: 3000 });
    const { home, outside } = layout();
    const clock = new ManualClock(1_795_000_000_000);
    const store = await openStateStore({ home, clock });
    const homeBefore = snapshotTree(home);
    const outsideBefore = snapshotTree(outside);
    let checks = 0;
    let failures = 0;
    try {
      await fc.assert(
        fc.asyncProperty(hostileIdArb, async (id) => {
          fc.pre(!UUID.test(id));
          checks += 1;
          const calls: Array<() => Promise<unknown>> = [
            () => appendThreadName({ home, threadId: id, name: 'x', clock }),
            () => findThreadName({ home, threadId: id }),
            () => archiveThread({ home, threadId: id, store, clock }),
            () => unarchiveThread({ home, threadId: id, store, clock }),
            () => findThread({ home, store, id }),
          ];
          for (const call of calls) {
            const error = await call().then(
              () => undefined,
              (caught: unknown) => caught,
            );
            expect(error, `accepted id ${JSON.stringify(id)}`).toBeInstanceOf(InvalidArgumentError);
          }
        }),
        { numRuns, seed: matrixSeed, endOnFailure: true },
      );
      expect(snapshotTree(home)).toEqual(homeBefore);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
    } catch (error) {
      failures += 1;
      process.stdout.write(`${matrix} failed; replay with AGENT_STATE_SEED=${matrixSeed}\n`);
      throw error;
    } finally {
      await store.close();
      recordMatrix({ matrix, seed: matrixSeed, trials: numRuns, kills: 0, checks, failures });
    }
  }, 60_000);

  it('writes hostile thread names to session_index.jsonl as one JSON line each, nothing else', async () => {
    const matrix = 'path-safety/thread-names';
    const matrixSeed = seed(matrix);
    const numRuns = trials({ ci: 40, soak: 2000 });
    const { home, outside } = layout();
    const clock = new ManualClock(1_795_000_000_000);
    const index = join(home, SESSION_INDEX_FILE);
    const othersBefore = snapshotTree(home);
    delete othersBefore[SESSION_INDEX_FILE];
    const outsideBefore = snapshotTree(outside);
    let checks = 0;
    let failures = 0;
    const nameArb = fc.oneof(
      fc.constantFrom(
        '../x',
        '../../etc/passwd',
        'a\u0000b',
        'line\nbreak',
        'cr\r\nlf',
        '/abs',
        '\u2028x',
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(nameArb, async (name) => {
          fc.pre(name.trim() !== '');
          checks += 1;
          const before = readFileSync(index, 'utf8')
            .split('\n')
            .filter((l) => l !== '').length;
          await appendThreadName({ home, threadId: SAMPLE_ID, name, clock });
          const lines = readFileSync(index, 'utf8')
            .split('\n')
            .filter((l) => l !== '');
          expect(lines.length).toBe(before + 1);
          const last = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
          expect(last['id']).toBe(SAMPLE_ID);
          expect(last['thread_name']).toBe(name.trim());
          expect(await findThreadName({ home, threadId: SAMPLE_ID })).toBe(name.trim());
        }),
        { numRuns, seed: matrixSeed, endOnFailure: true },
      );
      const othersAfter = snapshotTree(home);
      delete othersAfter[SESSION_INDEX_FILE];
      expect(othersAfter).toEqual(othersBefore);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      await expect(
        appendThreadName({ home, threadId: SAMPLE_ID, name: ' \n\t ', clock }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    } catch (error) {
      failures += 1;
      process.stdout.write(`${matrix} failed; replay with AGENT_STATE_SEED=${matrixSeed}\n`);
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: numRuns, kills: 0, checks, failures });
    }
  }, 60_000);

  it('refuses to archive or unarchive a rollout that lies (or resolves) outside the home', async () => {
    const matrix = 'path-safety/rollout-paths';
    const matrixSeed = seed(matrix);
    let checks = 0;
    let failures = 0;
    const { home, outside } = layout();
    const clock = new ManualClock(1_795_000_000_000);
    const store = await openStateStore({ home, clock });
    try {
      await runBackfill({ store, home });
      const { path, id } = findActiveRollout(home);
      const metadata = await store.threads.get(id);
      expect(metadata).toBeDefined();
      if (!metadata) return;
      const name = path.slice(path.lastIndexOf('/') + 1);

      // 1. The store points at a copy outside the home (the real file is gone from sessions/).
      const planted = join(outside, name);
      renameSync(path, planted);
      await store.threads.upsert({ ...metadata, rolloutPath: planted });
      let outsideBefore = snapshotTree(outside);
      for (const move of [archiveThread, unarchiveThread]) {
        const error = await move({ home, threadId: id, store, clock }).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        checks += 1;
        expect(error).toBeInstanceOf(ArchiveRefusedError);
      }
      await expect(
        archiveThread({ home, threadId: id, store, clock, rolloutPath: planted }),
      ).rejects.toMatchObject({ reason: 'outside-root' });
      checks += 1;
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      expect(existsSync(join(home, 'archived_sessions', name))).toBe(false);

      // 2. A symlink planted in sessions/ leading to the outside file.
      symlinkSync(planted, path);
      await store.threads.upsert({ ...metadata, rolloutPath: path });
      outsideBefore = snapshotTree(outside);
      await expect(archiveThread({ home, threadId: id, store, clock })).rejects.toMatchObject({
        reason: 'outside-root',
      });
      checks += 1;
      // A relative path climbing out of the home.
      await expect(
        archiveThread({ home, threadId: id, clock, rolloutPath: `../outside/${name}` }),
      ).rejects.toMatchObject({ reason: 'outside-root' });
      checks += 1;
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      expect(existsSync(join(home, 'archived_sessions', name))).toBe(false);

      // 3. The CLI on the same home: refused with a non-zero exit, nothing moved.
      await store.close();
      const cli = await runCli(['--home', home, 'threads', 'archive', id]);
      checks += 1;
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain('inside');
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      expect(existsSync(join(home, 'archived_sessions', name))).toBe(false);
    } catch (error) {
      failures += 1;
      throw error;
    } finally {
      await store.close().catch(() => undefined);
      recordMatrix({ matrix, seed: matrixSeed, trials: 1, kills: 0, checks, failures });
    }
  }, 60_000);

  it('the CLI refuses hostile ids with exit 2 and one line naming the argument', async () => {
    const matrix = 'path-safety/cli-ids';
    const matrixSeed = seed(matrix);
    const { home, outside } = layout();
    const homeBefore = snapshotTree(home);
    const outsideBefore = snapshotTree(outside);
    const ids = ['../x', '/etc/passwd', 'a\u0001b', `${SAMPLE_ID}/../../outside`];
    const commands = [['show'], ['archive'], ['unarchive'], ['rename', '@@', 'name']];
    let checks = 0;
    let failures = 0;
    try {
      const jobs = ids.flatMap((id) =>
        commands.map(async ([command, ...rest]) => {
          const args =
            command === 'rename'
              ? ['--home', home, 'threads', 'rename', id, ...rest.slice(1)]
              : ['--home', home, 'threads', command ?? '', id];
          const result = await runCli(args);
          checks += 1;
          return { args, result };
        }),
      );
      for (const { args, result } of await Promise.all(jobs)) {
        expect(result.code, args.join(' ')).toBe(2);
        const lines = result.stderr.split('\n').filter((l) => l !== '');
        expect(lines, args.join(' ')).toHaveLength(1);
        expect(lines[0]).toMatch(/invalid id/);
      }
      // An empty name is refused the same way, naming `name`.
      const empty = await runCli(['--home', home, 'threads', 'rename', SAMPLE_ID, '  ']);
      checks += 1;
      expect(empty.code).toBe(2);
      expect(empty.stderr.trim().split('\n')).toHaveLength(1);
      expect(empty.stderr).toMatch(/invalid name/);
      expect(snapshotTree(home)).toEqual(homeBefore);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
    } catch (error) {
      failures += 1;
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: 1, kills: 0, checks, failures });
    }
  }, 60_000);
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}
