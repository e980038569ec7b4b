import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { isPathWithin } from './path-within.js';
import { type WritableRoot, getWritableRoots, isPathWritable } from './policy-roots.js';
import { resolveSymlinks } from './resolve-symlinks.js';
import { workspaceWritePolicy } from './sandbox-policy.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const NO_TMP = { excludeSlashTmp: true, excludeTmpdirEnvVar: true } as const;

/** A real (symlink-free) temporary folder holding a repo with `.git/hooks` and `.codex`. */
function repoIn(parent: string, name = 'repo'): string {
  const repo = join(parent, name);
  mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
  mkdirSync(join(repo, '.codex'), { recursive: true });
  return repo;
}

describe('getWritableRoots', () => {
  it("lists a nested root's protected subpaths under the parent root as well", () => {
    const parent = realpathSync(temp.make('roots'));
    const repo = repoIn(parent);
    const roots = getWritableRoots(workspaceWritePolicy({ writableRoots: [parent], ...NO_TMP }), {
      cwd: repo,
    });
    expect(roots).toEqual([
      { root: parent, readOnlySubpaths: [join(repo, '.git'), join(repo, '.codex')] },
      { root: repo, readOnlySubpaths: [join(repo, '.git'), join(repo, '.codex')] },
    ]);
    const [parentRoot] = roots;
    expect(parentRoot && isPathWritable(parentRoot, join(repo, '.git', 'hooks', 'x'))).toBe(false);
  });

  it('keeps its own subpaths first and does not add those of sibling roots', () => {
    const parent = realpathSync(temp.make('roots'));
    const a = repoIn(parent, 'a');
    const b = repoIn(parent, 'b');
    const roots = getWritableRoots(workspaceWritePolicy({ writableRoots: [a], ...NO_TMP }), {
      cwd: b,
    });
    expect(roots.map((root) => root.readOnlySubpaths)).toEqual([
      [join(a, '.git'), join(a, '.codex')],
      [join(b, '.git'), join(b, '.codex')],
    ]);
  });

  it('compares nesting on real paths', () => {
    const parent = realpathSync(temp.make('roots'));
    const repo = repoIn(join(parent, 'real'));
    symlinkSync(join(parent, 'real'), join(parent, 'alias'));
    const roots = getWritableRoots(
      workspaceWritePolicy({ writableRoots: [join(parent, 'alias')], ...NO_TMP }),
      { cwd: repo },
    );
    expect(roots[0]?.readOnlySubpaths).toEqual([join(repo, '.git'), join(repo, '.codex')]);
  });
});

describe('isPathWritable', () => {
  const root = (path: string): WritableRoot => ({
    root: path,
    readOnlySubpaths: [join(path, '.git'), join(path, '.codex')],
  });

  it('treats names that begin with ".." as names, not as the parent folder', () => {
    const r = root('/nonexistent-root');
    expect(isPathWritable(r, '/nonexistent-root/.git/..hooks')).toBe(false);
    expect(isPathWritable(r, '/nonexistent-root/.git/..hooks/pre-commit')).toBe(false);
    expect(isPathWritable(r, '/nonexistent-root/..foo')).toBe(true);
    expect(isPathWritable(r, '/nonexistent-root/.gitignore')).toBe(true);
    expect(isPathWritable(r, '/nonexistent-root/../x')).toBe(false);
    expect(isPathWritable(r, '/nonexistent-root')).toBe(true);
    expect(isPathWritable(r, '/nonexistent-root/.git')).toBe(false);
  });

  it('follows symlinks into a protected subpath', () => {
    const r = realpathSync(temp.make('root'));
    repoIn(r, '.');
    symlinkSync('.git', join(r, 'link-to-git'));
    symlinkSync(join(r, '.git', 'hooks'), join(r, 'hooks'));
    expect(isPathWritable(root(r), join(r, 'link-to-git', 'hooks', 'x'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'hooks', 'pre-commit'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'link-to-git'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'src', 'new-file'))).toBe(true);
  });

  it('follows symlinks out of the root, dangling ones included', () => {
    const r = realpathSync(temp.make('root'));
    const outside = realpathSync(temp.make('outside'));
    symlinkSync(outside, join(r, 'out'));
    symlinkSync(join(outside, 'missing'), join(r, 'dangling'));
    expect(isPathWritable(root(r), join(r, 'out', 'x'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'dangling'))).toBe(false);
    // `..` after the symlink leads to the parent of its target, not back into the root.
    expect(isPathWritable(root(r), `${r}/out/../x`)).toBe(false);
  });

  it('protects a symlinked .git as the link and as its target', () => {
    const parent = realpathSync(temp.make('root'));
    const r = join(parent, 'repo');
    mkdirSync(join(parent, 'realgit', 'hooks'), { recursive: true });
    mkdirSync(r);
    symlinkSync('../realgit', join(r, '.git'));
    const writable: WritableRoot = { root: parent, readOnlySubpaths: [join(r, '.git')] };
    expect(isPathWritable(writable, join(r, '.git'))).toBe(false);
    expect(isPathWritable(writable, join(parent, 'realgit', 'hooks', 'x'))).toBe(false);
    expect(isPathWritable(writable, join(r, 'README.md'))).toBe(true);
  });

  it('counts a symlink as writable only when the link and its target both are', () => {
    const r = realpathSync(temp.make('root'));
    repoIn(r, '.');
    mkdirSync(join(r, 'src'));
    symlinkSync(join(r, 'src'), join(r, '.codex', 'to-src'));
    symlinkSync(join(r, '.codex'), join(r, 'to-codex'));
    symlinkSync(join(r, 'src'), join(r, 'to-src'));
    expect(isPathWritable(root(r), join(r, '.codex', 'to-src'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'to-codex'))).toBe(false);
    expect(isPathWritable(root(r), join(r, 'to-src'))).toBe(true);
  });

  it('resolves a root given through a symlink', () => {
    const parent = realpathSync(temp.make('root'));
    const r = repoIn(parent, 'real');
    symlinkSync(r, join(parent, 'alias'));
    const alias = root(join(parent, 'alias'));
    expect(isPathWritable(alias, join(r, 'file'))).toBe(true);
    expect(isPathWritable(alias, join(r, '.git', 'config'))).toBe(false);
  });
});

describe('resolveSymlinks', () => {
  it('resolves the longest existing prefix and keeps the rest as given', () => {
    const dir = realpathSync(temp.make('resolve'));
    mkdirSync(join(dir, 'target'));
    symlinkSync('target', join(dir, 'link'));
    expect(resolveSymlinks(join(dir, 'link', 'a', 'b'))).toEqual({
      path: join(dir, 'target', 'a', 'b'),
      links: [join(dir, 'link')],
    });
    expect(resolveSymlinks(join(dir, 'target'))).toEqual({
      path: join(dir, 'target'),
      links: [],
    });
  });

  it('follows a dangling symlink to where it points, and `..` physically', () => {
    const dir = realpathSync(temp.make('resolve'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    symlinkSync(join(dir, 'a', 'b'), join(dir, 'to-b'));
    symlinkSync('nowhere/x', join(dir, 'dangling'));
    expect(resolveSymlinks(join(dir, 'dangling')).path).toBe(join(dir, 'nowhere', 'x'));
    expect(resolveSymlinks(`${dir}/to-b/../c`).path).toBe(join(dir, 'a', 'c'));
  });

  it('stops on a symlink loop', () => {
    const dir = realpathSync(temp.make('resolve'));
    symlinkSync('loop', join(dir, 'loop'));
    const { path, links } = resolveSymlinks(join(dir, 'loop', 'x'));
    expect(path).toBe(join(dir, 'loop', 'x'));
    expect(links.length).toBe(40);
  });

  it('lists a symlink inside a symlink target', () => {
    const dir = realpathSync(temp.make('resolve'));
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'inner'));
    symlinkSync('inner/.', join(dir, 'outer'));
    expect(resolveSymlinks(join(dir, 'outer', 'f'))).toEqual({
      path: join(dir, 'real', 'f'),
      links: [join(dir, 'outer'), join(dir, 'inner')],
    });
  });
});

describe('isPathWithin', () => {
  it('compares whole components', () => {
    expect(isPathWithin('/r', '/r')).toBe(true);
    expect(isPathWithin('/r/a', '/r')).toBe(true);
    expect(isPathWithin('/r/..a', '/r')).toBe(true);
    expect(isPathWithin('/ra', '/r')).toBe(false);
    expect(isPathWithin('/', '/r')).toBe(false);
    expect(isPathWithin('/r/a', '/')).toBe(true);
  });
});
