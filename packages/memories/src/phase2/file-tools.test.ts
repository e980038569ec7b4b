import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  MEMORY_FILE_TOOL_DEFINITIONS,
  type MemoryFileTools,
  type MemoryFileToolsOptions,
  createMemoryFileTools,
} from './file-tools.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const SECRET = 'top secret, never to be touched\n';
const RAW = '# Raw Memories\n\nMerged stage-1 raw memories (latest first):\n\n## Thread `t1`\n';

let base: string;
let root: string;
let outside: string;
let secretPath: string;

beforeEach(() => {
  base = temp.make('memories-tools');
  root = join(base, 'memories');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'rollout_summaries'), { recursive: true });
  mkdirSync(outside);
  secretPath = join(outside, 'secret.txt');
  writeFileSync(secretPath, SECRET);
  writeFileSync(join(root, 'raw_memories.md'), RAW);
  writeFileSync(join(root, 'rollout_summaries', 't1.md'), 'thread_id: t1\n\nsummary\n');
});

function tools(options: Partial<MemoryFileToolsOptions> = {}): MemoryFileTools {
  return createMemoryFileTools({ root, ...options });
}

function call(t: MemoryFileTools, name: string, args: unknown) {
  return t.call(name, JSON.stringify(args));
}

/** Every path under `dir` (recursively, symlinks not followed), for before/after comparisons. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string, prefix: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      out.push(`${prefix}${entry.name}`);
      if (entry.isDirectory()) walk(join(current, entry.name), `${prefix}${entry.name}/`);
    }
  };
  walk(dir, '');
  return out.sort();
}

function expectOutsideUntouched(before: string[]) {
  expect(readFileSync(secretPath, 'utf8')).toBe(SECRET);
  expect(tree(outside)).toEqual(before);
  expect(tree(base).filter((p) => !p.startsWith('memories') && !p.startsWith('outside'))).toEqual(
    [],
  );
}

describe('definitions', () => {
  it('are strict function tools whose properties are all required', () => {
    expect(MEMORY_FILE_TOOL_DEFINITIONS.map((tool) => tool.name)).toEqual([
      'list_files',
      'read_file',
      'write_file',
      'delete_file',
    ]);
    for (const tool of MEMORY_FILE_TOOL_DEFINITIONS) {
      expect(tool.type).toBe('function');
      expect(tool.strict).toBe(true);
      const parameters = tool.parameters as {
        properties: Record<string, unknown>;
        required: string[];
        additionalProperties: boolean;
      };
      expect(parameters.additionalProperties).toBe(false);
      expect([...parameters.required].sort()).toEqual(Object.keys(parameters.properties).sort());
    }
  });
});

describe('confinement', () => {
  const escapes: Array<[string, () => string]> = [
    ['a parent segment', () => '../outside/secret.txt'],
    ['an absolute system path', () => '/etc/passwd'],
    ['a path that climbs out midway', () => 'a/../../outside/secret.txt'],
    ['a skill path that climbs out', () => 'skills/x/../../../outside/secret.txt'],
    ['the absolute path of an outside file', () => secretPath],
    ['a Windows drive path', () => 'C:/Windows/win.ini'],
    ['a NUL byte', () => 'MEMORY.md\0../../outside/secret.txt'],
  ];

  it.each(escapes)('refuses %s for every tool, with an error result', async (_label, path) => {
    const before = tree(outside);
    const t = tools();
    for (const [name, args] of [
      ['list_files', { path: path() }],
      ['read_file', { path: path(), start_line: null }],
      ['write_file', { path: path(), content: 'pwned' }],
      ['delete_file', { path: path() }],
    ] as const) {
      const result = await call(t, name, args);
      expect(result.ok, `${name} ${JSON.stringify(path())}`).toBe(false);
      expect(result.output).toMatch(/^error: path escapes the memories root/);
      expect(result.output).not.toContain(SECRET.trim());
    }
    expectOutsideUntouched(before);
    expect(t.filesWritten).toEqual([]);
  });

  it('refuses backslash paths', async () => {
    const result = await call(tools(), 'write_file', {
      path: '..\\outside\\secret.txt',
      content: 'x',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/^error: backslash/);
    expect(readFileSync(secretPath, 'utf8')).toBe(SECRET);
  });

  it('refuses a symlinked file that points outside: no read, no write, no delete', async () => {
    symlinkSync(secretPath, join(root, 'MEMORY.md'));
    const before = tree(outside);
    const t = tools();
    const read = await call(t, 'read_file', { path: 'MEMORY.md', start_line: null });
    expect(read.ok).toBe(false);
    expect(read.output).toMatch(/^error: path escapes the memories root/);
    expect(read.output).not.toContain('secret');
    const write = await call(t, 'write_file', { path: 'MEMORY.md', content: 'pwned' });
    expect(write.output).toMatch(/^error: path escapes the memories root: MEMORY.md is a symlink/);
    const remove = await call(t, 'delete_file', { path: 'MEMORY.md' });
    expect(remove.output).toMatch(/^error: path escapes the memories root/);
    expect(lstatSync(join(root, 'MEMORY.md')).isSymbolicLink()).toBe(true);
    expectOutsideUntouched(before);
  });

  it('refuses a dangling symlink that would create a file outside', async () => {
    symlinkSync(join(outside, 'planted.md'), join(root, 'memory_summary.md'));
    const before = tree(outside);
    const result = await call(tools(), 'write_file', { path: 'memory_summary.md', content: 'x' });
    expect(result.output).toMatch(/^error: path escapes the memories root/);
    expect(existsSync(join(outside, 'planted.md'))).toBe(false);
    expectOutsideUntouched(before);
  });

  it('refuses a symlinked folder that leads outside (skills/ itself or a skill)', async () => {
    const target = join(outside, 'skills');
    mkdirSync(join(target, 'x'), { recursive: true });
    writeFileSync(join(target, 'x', 'SKILL.md'), SECRET);
    symlinkSync(target, join(root, 'skills'), 'dir');
    const before = tree(outside);
    const t = tools();
    for (const [name, args] of [
      ['write_file', { path: 'skills/x/SKILL.md', content: 'pwned' }],
      ['write_file', { path: 'skills/new/SKILL.md', content: 'pwned' }],
      ['read_file', { path: 'skills/x/SKILL.md', start_line: null }],
      ['list_files', { path: 'skills' }],
      ['delete_file', { path: 'skills/x/SKILL.md' }],
    ] as const) {
      const result = await call(t, name, args);
      expect(result.output, name).toMatch(/^error: path escapes the memories root/);
    }
    expectOutsideUntouched(before);
    expect(readFileSync(join(target, 'x', 'SKILL.md'), 'utf8')).toBe(SECRET);

    // One level down: a skill folder that is a link out.
    const other = temp.make('memories-tools-other');
    const root2 = join(other, 'memories');
    mkdirSync(join(root2, 'skills'), { recursive: true });
    symlinkSync(outside, join(root2, 'skills', 'evil'), 'dir');
    const nested = await createMemoryFileTools({ root: root2 }).call(
      'write_file',
      JSON.stringify({ path: 'skills/evil/SKILL.md', content: 'pwned' }),
    );
    expect(nested.output).toMatch(/^error: path escapes the memories root: skills\/evil/);
    expect(existsSync(join(outside, 'SKILL.md'))).toBe(false);
  });

  it('lists symlinks without following them', async () => {
    symlinkSync(outside, join(root, 'escape'), 'dir');
    const { output } = await call(tools(), 'list_files', { path: null });
    expect(output).toContain('escape (symlink)');
    expect(output).not.toContain('secret.txt');
  });

  it('reads through a symlink that stays inside, but never writes through one', async () => {
    symlinkSync(join(root, 'raw_memories.md'), join(root, 'alias.md'));
    mkdirSync(join(root, 'skills', 'x'), { recursive: true });
    writeFileSync(join(root, 'MEMORY.md'), 'memory\n');
    symlinkSync(join(root, 'MEMORY.md'), join(root, 'skills', 'x', 'SKILL.md'));
    const t = tools();
    expect(await call(t, 'read_file', { path: 'alias.md', start_line: null })).toEqual({
      ok: true,
      output: RAW,
    });
    const write = await call(t, 'write_file', { path: 'skills/x/SKILL.md', content: 'changed' });
    expect(write.output).toBe('error: refusing to write through the symlink skills/x/SKILL.md');
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('memory\n');
  });

  it('works when the root itself is reached through a symlink', async () => {
    const link = join(base, 'memories-link');
    symlinkSync(root, link, 'dir');
    const t = createMemoryFileTools({ root: link });
    expect((await call(t, 'write_file', { path: 'MEMORY.md', content: 'm' })).ok).toBe(true);
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('m');
    expect(
      (await call(t, 'read_file', { path: '../outside/secret.txt', start_line: null })).ok,
    ).toBe(false);
  });
});

describe('writable targets', () => {
  it('writes MEMORY.md, memory_summary.md and files in skill folders, creating folders', async () => {
    const t = tools();
    const results = await Promise.all([
      call(t, 'write_file', { path: 'MEMORY.md', content: '# Memory\n' }),
      call(t, 'write_file', { path: './memory_summary.md', content: 'summary\n' }),
      call(t, 'write_file', { path: 'skills/run-tests/SKILL.md', content: '# Run tests\n' }),
      call(t, 'write_file', { path: 'skills/run-tests/scripts/run.sh', content: 'pnpm test\n' }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(results[0]).toEqual({
      ok: true,
      output: 'created MEMORY.md (9 bytes)',
      changed: { path: 'MEMORY.md', action: 'written' },
    });
    expect(readFileSync(join(root, 'skills/run-tests/scripts/run.sh'), 'utf8')).toBe('pnpm test\n');
    expect(t.filesWritten).toEqual([
      'MEMORY.md',
      'memory_summary.md',
      'skills/run-tests/SKILL.md',
      'skills/run-tests/scripts/run.sh',
    ]);
    const again = await call(t, 'write_file', { path: 'MEMORY.md', content: '# Memory v2\n' });
    expect(again.output).toBe('replaced MEMORY.md (12 bytes)');
  });

  it.each([
    ['raw_memories.md'],
    ['rollout_summaries/t1.md'],
    ['rollout_summaries/new.md'],
    ['notes.md'],
    ['skills/SKILL.md'],
    ['skills'],
    ['Skills/x/SKILL.md'],
    ['other/x/SKILL.md'],
  ])('refuses to write or delete %s', async (path) => {
    const t = tools();
    const before = tree(root);
    const write = await call(t, 'write_file', { path, content: 'overwritten' });
    expect(write.ok).toBe(false);
    expect(write.output).toMatch(/^error: .* is read-only: only MEMORY.md, memory_summary.md/);
    const remove = await call(t, 'delete_file', { path });
    expect(remove.output).toMatch(/is read-only/);
    expect(tree(root)).toEqual(before);
    expect(readFileSync(join(root, 'raw_memories.md'), 'utf8')).toBe(RAW);
  });

  it('refuses to write over a folder, or under a file', async () => {
    mkdirSync(join(root, 'skills', 'x', 'SKILL.md'), { recursive: true });
    writeFileSync(join(root, 'skills', 'file'), 'f');
    const t = tools();
    expect((await call(t, 'write_file', { path: 'skills/x/SKILL.md', content: 'x' })).output).toBe(
      'error: skills/x/SKILL.md is a folder, not a file',
    );
    expect(
      (await call(t, 'write_file', { path: 'skills/file/SKILL.md', content: 'x' })).output,
    ).toBe('error: skills/file is a file, not a folder');
  });

  it('deletes files, removes emptied skill folders, and tracks what changed', async () => {
    const t = tools();
    await call(t, 'write_file', { path: 'skills/old/SKILL.md', content: 'old' });
    await call(t, 'write_file', { path: 'skills/keep/SKILL.md', content: 'keep' });
    await call(t, 'write_file', { path: 'MEMORY.md', content: 'm' });
    const result = await call(t, 'delete_file', { path: 'skills/old/SKILL.md' });
    expect(result).toEqual({
      ok: true,
      output: 'deleted skills/old/SKILL.md',
      changed: { path: 'skills/old/SKILL.md', action: 'deleted' },
    });
    expect(existsSync(join(root, 'skills', 'old'))).toBe(false);
    expect(existsSync(join(root, 'skills', 'keep', 'SKILL.md'))).toBe(true);
    expect(t.filesWritten).toEqual(['MEMORY.md', 'skills/keep/SKILL.md']);
    expect(t.filesDeleted).toEqual(['skills/old/SKILL.md']);
    expect((await call(t, 'delete_file', { path: 'skills/old/SKILL.md' })).output).toBe(
      'error: skills/old/SKILL.md does not exist',
    );
  });
});

describe('atomic writes', () => {
  it('replaces the directory entry: a hard link to an outside file is not written through', async () => {
    linkSync(secretPath, join(root, 'MEMORY.md'));
    const result = await call(tools(), 'write_file', { path: 'MEMORY.md', content: 'new memory' });
    expect(result.ok).toBe(true);
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('new memory');
    expect(readFileSync(secretPath, 'utf8')).toBe(SECRET);
  });

  it('replaces the file with a new inode and leaves no temporary file behind', async () => {
    writeFileSync(join(root, 'MEMORY.md'), 'old');
    const inode = statSync(join(root, 'MEMORY.md')).ino;
    await call(tools(), 'write_file', { path: 'MEMORY.md', content: 'new' });
    expect(statSync(join(root, 'MEMORY.md')).ino).not.toBe(inode);
    expect(tree(root).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });

  it('writes and deletes nothing once the signal has aborted', async () => {
    writeFileSync(join(root, 'MEMORY.md'), 'old');
    const controller = new AbortController();
    const t = tools({ signal: controller.signal });
    controller.abort();
    const before = tree(root);
    const write = await call(t, 'write_file', { path: 'MEMORY.md', content: 'new' });
    expect(write.output).toMatch(/^error: the run was stopped/);
    expect((await call(t, 'delete_file', { path: 'MEMORY.md' })).ok).toBe(false);
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('old');
    expect(tree(root)).toEqual(before);
    // Reading stays possible: it changes nothing.
    expect((await call(t, 'read_file', { path: 'MEMORY.md', start_line: null })).output).toBe(
      'old',
    );
  });
});

describe('redaction', () => {
  // Fake credentials, assembled so that no scanner mistakes this file for a leak.
  const KEY = ['sk-proj-', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'].join('');
  const TOKEN = ['ghp_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');

  it('redacts secrets in written content before it reaches the disk, and says so', async () => {
    const t = tools();
    const content = `# Memory\n\n- deploy with OPENAI_API_KEY=${KEY}\n- password: hunter2(hunter2)x\n`;
    const result = await call(t, 'write_file', { path: 'skills/deploy/SKILL.md', content });
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(/secrets in it were replaced with \[REDACTED\]/);
    const written = readFileSync(join(root, 'skills', 'deploy', 'SKILL.md'), 'utf8');
    expect(written).toBe(
      '# Memory\n\n- deploy with OPENAI_API_KEY=[REDACTED]\n- password: [REDACTED]\n',
    );
    expect(written).not.toContain(KEY);
    // The size reported and checked is the size written.
    expect(result.output).toContain(`(${Buffer.byteLength(written)} bytes;`);

    const clean = await call(t, 'write_file', { path: 'MEMORY.md', content: `token ${TOKEN}\n` });
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('token [REDACTED]\n');
    expect(clean.output).toMatch(/REDACTED/);
    const plain = await call(t, 'write_file', { path: 'memory_summary.md', content: 'nothing\n' });
    expect(plain.output).toBe('created memory_summary.md (8 bytes)');
  });
});

describe('limits', () => {
  it('refuses content over the size cap', async () => {
    const t = tools({ limits: { maxWriteBytes: 10 } });
    const result = await call(t, 'write_file', { path: 'MEMORY.md', content: 'é'.repeat(6) });
    expect(result.output).toBe(
      'error: the content for MEMORY.md is too large (12 bytes; the limit is 10); keep memory files concise',
    );
    expect(existsSync(join(root, 'MEMORY.md'))).toBe(false);
  });

  it('caps how many different files one run may change', async () => {
    const t = tools({ limits: { maxFilesChanged: 2 } });
    expect((await call(t, 'write_file', { path: 'skills/a/SKILL.md', content: 'a' })).ok).toBe(
      true,
    );
    expect((await call(t, 'write_file', { path: 'skills/b/SKILL.md', content: 'b' })).ok).toBe(
      true,
    );
    const third = await call(t, 'write_file', { path: 'skills/c/SKILL.md', content: 'c' });
    expect(third.output).toMatch(/^error: this run already changed 2 files/);
    expect(existsSync(join(root, 'skills', 'c'))).toBe(false);
    // Rewriting a file already changed costs nothing.
    expect((await call(t, 'write_file', { path: 'skills/a/SKILL.md', content: 'a2' })).ok).toBe(
      true,
    );
  });

  it('pages long files by line', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    writeFileSync(join(root, 'MEMORY.md'), `${lines.join('\n')}\n`);
    const t = tools({ limits: { maxReadChars: 30 } });
    const first = await call(t, 'read_file', { path: 'MEMORY.md', start_line: null });
    expect(first.output).toBe(
      'line 1\nline 2\nline 3\nline 4\n[truncated: lines 1-4 of 10 of MEMORY.md shown; call read_file with start_line 5 to read on]',
    );
    const last = await call(t, 'read_file', { path: 'MEMORY.md', start_line: 9 });
    expect(last.output).toBe('line 9\nline 10\n[end of MEMORY.md: lines 9-10 of 10]');
    const past = await call(t, 'read_file', { path: 'MEMORY.md', start_line: 11 });
    expect(past).toEqual({
      ok: false,
      output: 'error: start_line 11 is past the end of MEMORY.md (10 lines)',
    });
  });

  it('cuts a single line longer than a page', async () => {
    writeFileSync(join(root, 'MEMORY.md'), `${'x'.repeat(100)}\nnext\n`);
    const t = tools({ limits: { maxReadChars: 10 } });
    const { output } = await call(t, 'read_file', { path: 'MEMORY.md', start_line: null });
    expect(output).toBe(
      'xxxxxxxxxx\n[truncated: line 1 of MEMORY.md is longer than 10 characters and was cut; call read_file with start_line 2 to read on]',
    );
  });

  it('refuses files over the readable size, and binary files', async () => {
    writeFileSync(join(root, 'MEMORY.md'), 'x'.repeat(100));
    writeFileSync(join(root, 'blob.bin'), Buffer.from([1, 0, 2]));
    const t = tools({ limits: { maxReadableFileBytes: 50 } });
    expect((await call(t, 'read_file', { path: 'MEMORY.md', start_line: null })).output).toBe(
      'error: MEMORY.md is too large to read (100 bytes; the limit is 50)',
    );
    expect((await call(t, 'read_file', { path: 'blob.bin', start_line: null })).output).toBe(
      'error: blob.bin is a binary file, not text',
    );
  });

  it('caps listed entries', async () => {
    for (let i = 0; i < 5; i += 1) writeFileSync(join(root, 'rollout_summaries', `x${i}.md`), 'x');
    const { output } = await call(tools({ limits: { maxListEntries: 3 } }), 'list_files', {
      path: null,
    });
    expect(output).toBe(
      'raw_memories.md (76 bytes)\nrollout_summaries/\nrollout_summaries/t1.md (23 bytes)\n[5 more entries not shown; list a subfolder to see them]',
    );
  });
});

describe('listing and reading', () => {
  it('lists recursively with sizes, sorted, folders ending with a slash', async () => {
    mkdirSync(join(root, 'skills', 'a'), { recursive: true });
    writeFileSync(join(root, 'skills', 'a', 'SKILL.md'), 'abc');
    const t = tools();
    expect((await call(t, 'list_files', { path: null })).output).toBe(
      [
        'raw_memories.md (76 bytes)',
        'rollout_summaries/',
        'rollout_summaries/t1.md (23 bytes)',
        'skills/',
        'skills/a/',
        'skills/a/SKILL.md (3 bytes)',
      ].join('\n'),
    );
    expect((await call(t, 'list_files', { path: 'skills' })).output).toBe(
      'skills/a/\nskills/a/SKILL.md (3 bytes)',
    );
    expect((await call(t, 'list_files', { path: 'raw_memories.md' })).output).toBe(
      'error: raw_memories.md is a file; use read_file to read it',
    );
    expect((await call(t, 'list_files', { path: 'nope' })).output).toBe(
      'error: nope does not exist',
    );
  });

  it('reads files whole, and explains folders, missing and empty files', async () => {
    writeFileSync(join(root, 'MEMORY.md'), '');
    const t = tools();
    expect(await call(t, 'read_file', { path: 'raw_memories.md', start_line: null })).toEqual({
      ok: true,
      output: RAW,
    });
    expect((await call(t, 'read_file', { path: 'MEMORY.md', start_line: null })).output).toBe(
      '(MEMORY.md is empty)',
    );
    expect(
      (await call(t, 'read_file', { path: 'rollout_summaries', start_line: null })).output,
    ).toBe('error: rollout_summaries is a folder; use list_files');
    expect((await call(t, 'read_file', { path: 'missing.md', start_line: null })).output).toBe(
      'error: missing.md does not exist',
    );
  });
});

describe('bad calls', () => {
  it('answers unknown tools, malformed JSON and bad argument types with error results', async () => {
    const t = tools();
    expect((await t.call('shell', '{"cmd":"rm -rf /"}')).output).toBe(
      'error: unknown tool "shell"; the tools are list_files, read_file, write_file, delete_file',
    );
    expect((await t.call('write_file', '{"path": "MEMORY.md", ')).output).toMatch(
      /^error: the arguments of write_file are not valid JSON/,
    );
    expect((await t.call('write_file', '["MEMORY.md"]')).output).toBe(
      'error: the arguments of write_file must be a JSON object',
    );
    expect((await call(t, 'write_file', { path: 'MEMORY.md' })).output).toBe(
      'error: content must be a string',
    );
    expect((await call(t, 'read_file', { path: 7, start_line: null })).output).toBe(
      'error: path must be a string',
    );
    expect((await call(t, 'read_file', { path: 'MEMORY.md', start_line: 0 })).output).toBe(
      'error: start_line must be a whole number from 1, or null',
    );
    expect(existsSync(join(root, 'MEMORY.md'))).toBe(false);
  });

  it('reports a missing root as an error result', async () => {
    const t = createMemoryFileTools({ root: join(base, 'nowhere') });
    expect((await call(t, 'list_files', { path: null })).output).toBe(
      'error: the memories root is not available (ENOENT)',
    );
  });
});
