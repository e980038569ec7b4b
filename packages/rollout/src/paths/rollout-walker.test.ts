import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ErrorCode } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import {
  type UnreadableFolder,
  type WalkRolloutsOptions,
  type WalkedRollout,
  walkRolloutFolders,
  walkRollouts,
} from './rollout-walker.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const u = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
const name = (ts: string, n: number, ext = '.jsonl') => `rollout-${ts}-${u(n)}${ext}`;

function touch(home: string, ...parts: string[]): string {
  const path = join(home, ...parts);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  return path;
}

async function walk(options: WalkRolloutsOptions): Promise<WalkedRollout[]> {
  const files: WalkedRollout[] = [];
  for await (const file of walkRollouts(options)) files.push(file);
  return files;
}

const relative = (home: string, files: WalkedRollout[]) =>
  files.map((f) => f.path.slice(home.length + 1));

/**
 * A home in Codex's layout with some of everything: date folders (one not zero-padded), the same
 * second twice, a thread being materialized (`.jsonl` and `.jsonl.zst`), a compressed one alone,
 * noise that is not a rollout, and the flat `archived_sessions/`.
 */
function codexHome(): string {
  const home = temp.make('home');
  touch(home, 'sessions', '2025', '01', '31', name('2025-01-31T08-00-00', 1));
  touch(home, 'sessions', '2025', '9', '07', name('2025-09-07T08-00-00', 2));
  touch(home, 'sessions', '2025', '10', '01', name('2025-10-01T08-00-00', 3));
  touch(home, 'sessions', '2025', '10', '01', name('2025-10-01T08-00-00', 4));
  touch(home, 'sessions', '2025', '10', '01', name('2025-10-01T09-00-00', 5, '.jsonl.zst'));
  touch(home, 'sessions', '2025', '10', '01', name('2025-10-01T07-00-00', 6));
  touch(home, 'sessions', '2025', '10', '01', name('2025-10-01T07-00-00', 6, '.jsonl.zst'));
  touch(home, 'sessions', '2025', '10', '01', 'README.md');
  touch(home, 'sessions', '2025', '10', '01', `notes-${u(7)}.jsonl`);
  touch(home, 'sessions', '2025', '10', '01', 'rollout-garbage.jsonl');
  mkdirSync(join(home, 'sessions', '2025', '10', '01', name('2025-10-01T10-00-00', 8)));
  touch(home, 'archived_sessions', name('2024-05-01T00-00-00', 10));
  touch(home, 'archived_sessions', name('2024-06-01T00-00-00', 11, '.jsonl.zst'));
  return home;
}

describe('walkRollouts (Codex layout)', () => {
  it('yields the rollouts newest first, sessions then archived, a materializing thread once', async () => {
    const home = codexHome();
    const files = await walk({ home });
    expect(relative(home, files)).toEqual([
      `sessions/2025/10/01/${name('2025-10-01T09-00-00', 5, '.jsonl.zst')}`,
      `sessions/2025/10/01/${name('2025-10-01T08-00-00', 4)}`,
      `sessions/2025/10/01/${name('2025-10-01T08-00-00', 3)}`,
      `sessions/2025/10/01/${name('2025-10-01T07-00-00', 6)}`, // the plain twin
      'sessions/2025/10/01/rollout-garbage.jsonl', // a name that does not parse comes last
      `sessions/2025/9/07/${name('2025-09-07T08-00-00', 2)}`, // date folders by number
      `sessions/2025/01/31/${name('2025-01-31T08-00-00', 1)}`,
      `archived_sessions/${name('2024-06-01T00-00-00', 11, '.jsonl.zst')}`,
      `archived_sessions/${name('2024-05-01T00-00-00', 10)}`,
    ]);
    expect(files.map((f) => f.archived)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(files[1]).toEqual({
      path: join(home, 'sessions', '2025', '10', '01', name('2025-10-01T08-00-00', 4)),
      name: name('2025-10-01T08-00-00', 4),
      archived: false,
      parsed: {
        timestamp: '2025-10-01T08-00-00',
        createdAt: Date.parse('2025-10-01T08:00:00Z') / 1000,
        id: u(4),
      },
    });
    expect(files[4]!.parsed).toBeUndefined();
  });

  it('walks one tree when asked', async () => {
    const home = codexHome();
    expect((await walk({ home, archived: false })).every((f) => !f.archived)).toBe(true);
    expect(relative(home, await walk({ home, archived: true }))).toEqual([
      `archived_sessions/${name('2024-06-01T00-00-00', 11, '.jsonl.zst')}`,
      `archived_sessions/${name('2024-05-01T00-00-00', 10)}`,
    ]);
  });

  it('reads only the date folders of sessions and the top of archived_sessions', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', name('2025-01-01T00-00-00', 1)); // not in a day folder
    touch(home, 'sessions', '2025', '01', name('2025-01-01T00-00-00', 2)); // a month folder
    touch(home, 'sessions', 'notes', '01', '01', name('2025-01-01T00-00-00', 3)); // not a number
    touch(home, 'sessions', '70000', '01', '01', name('2025-01-01T00-00-00', 4)); // not a u16
    touch(home, 'sessions', '2025', '01', '01', 'extra', name('2025-01-01T00-00-00', 5));
    touch(home, 'archived_sessions', '2025', name('2025-01-01T00-00-00', 6));
    expect(await walk({ home })).toEqual([]);
    expect(relative(home, await walk({ home, depth: 'any' })).sort()).toEqual(
      [
        `archived_sessions/2025/${name('2025-01-01T00-00-00', 6)}`,
        `sessions/${name('2025-01-01T00-00-00', 1)}`,
        `sessions/2025/01/${name('2025-01-01T00-00-00', 2)}`,
        `sessions/notes/01/01/${name('2025-01-01T00-00-00', 3)}`,
        `sessions/70000/01/01/${name('2025-01-01T00-00-00', 4)}`,
        `sessions/2025/01/01/extra/${name('2025-01-01T00-00-00', 5)}`,
      ].sort(),
    );
  });

  it('at any depth, gives a folder’s files before its sub-folders, names descending', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', 'a', name('2025-01-03T00-00-00', 1));
    touch(home, 'sessions', 'b', name('2025-01-01T00-00-00', 2));
    touch(home, 'sessions', 'b', 'c', name('2025-01-04T00-00-00', 3));
    touch(home, 'sessions', name('2025-01-02T00-00-00', 4));
    expect(relative(home, await walk({ home, depth: 'any' }))).toEqual([
      `sessions/${name('2025-01-02T00-00-00', 4)}`,
      `sessions/b/${name('2025-01-01T00-00-00', 2)}`,
      `sessions/b/c/${name('2025-01-04T00-00-00', 3)}`,
      `sessions/a/${name('2025-01-03T00-00-00', 1)}`,
    ]);
  });
});

describe('walkRollouts and symbolic links', () => {
  it('never follows a link inside the trees, and reports those named like rollouts', async () => {
    const home = temp.make('home');
    const elsewhere = temp.make('elsewhere');
    const outside = touch(elsewhere, 'day', name('2025-01-02T00-00-00', 9));
    const real = touch(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    const fileLink = join(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-01', 2));
    symlinkSync(outside, fileLink);
    symlinkSync(dirname(outside), join(home, 'sessions', '2025', '01', '02')); // a day folder
    mkdirSync(join(home, 'archived_sessions'));
    const archivedLink = join(home, 'archived_sessions', name('2025-01-02T00-00-00', 9));
    symlinkSync(outside, archivedLink);
    symlinkSync(join(home, 'sessions'), join(home, 'sessions', '2025', 'loop')); // a loop

    for (const depth of ['layout', 'any'] as const) {
      const links: string[] = [];
      const files = await walk({ home, depth, onLink: (path) => links.push(path) });
      expect(files.map((f) => f.path)).toEqual([real]);
      expect(links).toEqual([fileLink, archivedLink]);
    }
  });

  it('reads the roots as given, even when they are links', async () => {
    const home = temp.make('home');
    const elsewhere = temp.make('elsewhere');
    const file = touch(elsewhere, '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    symlinkSync(elsewhere, join(home, 'sessions'));
    expect(await walk({ home })).toMatchObject([
      { path: join(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1)) },
    ]);
    expect(file).toContain(elsewhere);
  });
});

describe('walkRollouts and folders it cannot list', () => {
  it('walks a missing home, or one whose folders are files, as empty', async () => {
    const home = temp.make('home');
    expect(await walk({ home: join(home, 'missing') })).toEqual([]);
    writeFileSync(join(home, 'sessions'), 'a file');
    writeFileSync(join(home, 'archived_sessions'), 'a file');
    expect(await walk({ home, depth: 'any' })).toEqual([]);
  });

  it('reports a folder that vanished while walking, and goes on', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', '2025', '01', '03', name('2025-01-03T00-00-00', 3));
    touch(home, 'sessions', '2025', '01', '02', name('2025-01-02T00-00-00', 2));
    touch(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    const problems: UnreadableFolder[] = [];
    const seen: string[] = [];
    for await (const file of walkRollouts({ home, onUnreadable: (f) => problems.push(f) })) {
      seen.push(file.parsed!.id);
      // Another process removes a day folder the walk has listed but not read yet.
      if (seen.length === 1)
        rmSync(join(home, 'sessions', '2025', '01', '02'), { recursive: true });
    }
    expect(seen).toEqual([u(3), u(1)]);
    const gone = join(home, 'sessions', '2025', '01', '02');
    expect(problems.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: gone, message: 'cannot list the folder: no such file' },
    ]);
    expect(problems[0]!.error).toBeInstanceOf(RolloutFileError);
    expect(problems[0]!.error).toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: gone,
      message: `${gone}: cannot list the folder: no such file`,
    });
  });

  it('throws the RolloutFileError without onUnreadable', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', '2025', '01', '02', name('2025-01-02T00-00-00', 2));
    touch(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    const gone = join(home, 'sessions', '2025', '01', '01');
    const walking = (async () => {
      for await (const _ of walkRollouts({ home })) rmSync(gone, { recursive: true, force: true });
    })();
    await expect(walking).rejects.toBeInstanceOf(RolloutFileError);
    await expect(walking).rejects.toMatchObject({ code: ErrorCode.RolloutUnreadable, path: gone });
  });

  it.skipIf(process.getuid?.() === 0)('reports a folder without read permission', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    const locked = join(home, 'sessions', '2025', '01', '02');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    try {
      const problems: UnreadableFolder[] = [];
      const files = await walk({ home, onUnreadable: (f) => problems.push(f) });
      expect(files.map((f) => f.parsed?.id)).toEqual([u(1)]);
      expect(problems).toMatchObject([
        { path: locked, message: 'cannot list the folder: permission denied' },
      ]);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});

describe('walkRollouts stops early', () => {
  /** Three day folders; the oldest vanishes once the walk has started, which it must not notice. */
  function homeWithOldFolderGone(): { home: string; goneAfterStart: () => void } {
    const home = temp.make('home');
    touch(home, 'sessions', '2025', '01', '03', name('2025-01-03T00-00-01', 4));
    touch(home, 'sessions', '2025', '01', '03', name('2025-01-03T00-00-00', 3));
    touch(home, 'sessions', '2025', '01', '02', name('2025-01-02T00-00-00', 2));
    touch(home, 'sessions', '2025', '01', '01', name('2025-01-01T00-00-00', 1));
    const gone = join(home, 'sessions', '2025', '01', '01');
    return { home, goneAfterStart: () => rmSync(gone, { recursive: true, force: true }) };
  }

  it('reads no further folder once the consumer stops', async () => {
    const { home, goneAfterStart } = homeWithOldFolderGone();
    const seen: string[] = [];
    for await (const file of walkRollouts({ home })) {
      goneAfterStart(); // without onUnreadable, reading it would throw
      seen.push(file.parsed!.id);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([u(4), u(3), u(2)]);
  });

  it('reads no further folder once the consumer stops, a folder at a time', async () => {
    const { home, goneAfterStart } = homeWithOldFolderGone();
    const seen: string[] = [];
    for await (const folder of walkRolloutFolders({ home })) {
      goneAfterStart(); // without onUnreadable, reading it would throw
      seen.push(...folder.map((file) => file.parsed!.id));
      break;
    }
    expect(seen).toEqual([u(4), u(3)]);
  });

  it('ends, without reading the next folder, when keepGoing says so', async () => {
    const { home, goneAfterStart } = homeWithOldFolderGone();
    const seen: string[] = [];
    const walk = walkRollouts({ home, keepGoing: () => seen.length < 1 });
    for await (const file of walk) {
      goneAfterStart();
      seen.push(file.parsed!.id);
    }
    // The folder being read is finished: keepGoing is asked before listing a folder.
    expect(seen).toEqual([u(4), u(3)]);
  });

  it('does not walk archived_sessions after keepGoing ended the walk of sessions', async () => {
    const { home } = homeWithOldFolderGone();
    touch(home, 'archived_sessions', name('2024-01-01T00-00-00', 9));
    const seen: string[] = [];
    for await (const file of walkRollouts({ home, keepGoing: () => seen.length < 2 })) {
      seen.push(file.parsed!.id);
    }
    expect(seen).toEqual([u(4), u(3)]);
  });
});

describe('walkRolloutFolders', () => {
  it('gives the same rollouts as walkRollouts, in the same order, a folder at a time', async () => {
    const home = codexHome();
    const folders: WalkedRollout[][] = [];
    for await (const folder of walkRolloutFolders({ home })) folders.push(folder);
    expect(folders.map((folder) => relative(home, folder).map((path) => dirname(path)))).toEqual([
      [
        'sessions/2025/10/01',
        'sessions/2025/10/01',
        'sessions/2025/10/01',
        'sessions/2025/10/01',
        'sessions/2025/10/01',
      ],
      ['sessions/2025/9/07'],
      ['sessions/2025/01/31'],
      ['archived_sessions', 'archived_sessions'],
    ]);
    expect(folders.flat()).toEqual(await walk({ home }));
  });
});
