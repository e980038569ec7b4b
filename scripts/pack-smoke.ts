// Packing smoke test (`pnpm run test:pack`, after `turbo run build`): packs every public package
// with `pnpm pack` (which rewrites `workspace:*`), checks each tarball's manifest and contents,
// installs all tarballs together into an empty project with npm, and proves that each package
// works alone from the installed copy: ESM import, CJS require, and its bins.
//
// By default npm runs no install scripts and better-sqlite3 gets the native binding the workspace
// already built (same version), which keeps the test to seconds where no prebuilt binary can be
// downloaded. `--full-install` runs every install script as a user's `npm install` would.
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

import { type PublicPackage, PUBLIC_PACKAGES, checkProgram } from './pack-smoke-checks.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..');
const MIN_NODE: readonly [number, number] = [20, 19];
const TEST_FILE =
  /(^|\/)(__tests__|__mocks__|test|tests|fixtures|coverage)\/|\.(test|spec|bench)\.[cm]?[jt]sx?(\.map)?$|(^|\/)vitest\.config\./;

interface Failure {
  pkg: string;
  step: string;
  message: string;
}

interface Packed {
  pkg: PublicPackage;
  name: string;
  tarball: string;
}

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

const failures: Failure[] = [];
const passes: string[] = [];

function fail(pkg: string, step: string, message: string): void {
  failures.push({ pkg, step, message: message.trim() });
  console.error(`  FAIL ${pkg} ${step}: ${firstLines(message)}`);
}

function pass(pkg: string, step: string): void {
  passes.push(`${pkg} ${step}`);
  console.log(`  ok   ${pkg} ${step}`);
}

function firstLines(text: string, count = 12): string {
  return text.trim().split('\n').slice(0, count).join('\n       ');
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && ('stderr' in error || 'stdout' in error)) {
    const { stdout, stderr, message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    return [message, stderr, stdout].filter(Boolean).join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

async function pack(pkg: PublicPackage, destination: string): Promise<Packed> {
  const cwd = join(repoRoot, pkg.dir);
  const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', destination], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: unknown) => {
    throw new Error(`pnpm pack failed in ${pkg.dir}: ${errorText(error)}`);
  });
  const result = JSON.parse(stdout) as { name: string; filename: string };
  return { pkg, name: result.name, tarball: resolve(destination, result.filename) };
}

/** Extracts a tarball into `dir` and returns the `package/` folder npm would install. */
async function extract(tarball: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir]);
  return join(dir, 'package');
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

function checkEngines(manifest: Manifest): string | undefined {
  const range = manifest.engines?.node;
  const match = range ? /^>=\s*(\d+)\.(\d+)(\.\d+)?$/.exec(range.trim()) : null;
  if (!range || !match) return `engines.node must be ">=${MIN_NODE.join('.')}", found ${range}`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const atLeast = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return atLeast ? undefined : `engines.node ${range} allows Node older than ${MIN_NODE.join('.')}`;
}

function checkBins(manifest: Manifest, expected: readonly string[]): string | undefined {
  const bin = manifest.bin;
  const names =
    typeof bin === 'string' ? [manifest.name.split('/').pop() ?? ''] : Object.keys(bin ?? {});
  const same = names.length === expected.length && expected.every((name) => names.includes(name));
  return same ? undefined : `bin must be [${expected.join(', ')}], found [${names.join(', ')}]`;
}

function checkDependencies(manifest: Manifest): string | undefined {
  const unresolved = Object.entries(manifest.dependencies ?? {}).filter(([, spec]) =>
    spec.startsWith('workspace:'),
  );
  return unresolved.length === 0
    ? undefined
    : `dependencies still use the workspace protocol: ${unresolved.map(([n]) => n).join(', ')}`;
}

/** Paths of this machine that must not leak into a published file. */
function machinePaths(): string[] {
  const home = homedir();
  return [repoRoot, ...(home.length > 1 ? [`${home}/`] : [])];
}

function checkContents(root: string): string | undefined {
  const files = listFiles(root);
  const tests = files.filter((file) => TEST_FILE.test(file));
  if (tests.length > 0) return `contains test files: ${tests.join(', ')}`;
  const paths = machinePaths();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const leaked = paths.find((path) => text.includes(path));
    if (leaked) return `${file} contains the machine path ${leaked}`;
  }
  return undefined;
}

async function inspectTarball(packed: Packed, scratch: string): Promise<void> {
  const root = await extract(packed.tarball, join(scratch, packed.name.replace('/', '__')));
  const manifest = readJson<Manifest>(join(root, 'package.json'));
  const problems = [
    checkEngines(manifest),
    checkBins(manifest, packed.pkg.bins),
    checkDependencies(manifest),
    checkContents(root),
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length === 0) pass(packed.name, 'tarball (engines, bin, files)');
  for (const problem of problems) fail(packed.name, 'tarball', problem);
}

async function installTarballs(project: string, tarballs: readonly string[], full: boolean) {
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'pack-smoke', private: true, type: 'module' }, null, 2)}\n`,
  );
  const flags = [
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    ...(full ? [] : ['--ignore-scripts']),
  ];
  await run('npm', ['install', ...flags, ...tarballs], {
    cwd: project,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  }).catch((error: unknown) => {
    throw new Error(`npm install of the tarballs failed: ${errorText(error)}`);
  });
}

/** Names of the installed packages that have install scripts (skipped by `--ignore-scripts`). */
function packagesWithInstallScripts(project: string): string[] {
  const modules = join(project, 'node_modules');
  const names = readdirSync(modules).flatMap((entry) =>
    entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry],
  );
  return names.filter((name) => {
    const manifestPath = join(modules, name, 'package.json');
    if (!existsSync(manifestPath)) return false;
    const scripts = readJson<Manifest>(manifestPath).scripts ?? {};
    return ['preinstall', 'install', 'postinstall'].some((hook) => hook in scripts);
  });
}

/** Gives better-sqlite3 the workspace's binding when versions match; true if it did. */
function reuseSqliteBinding(project: string): boolean {
  const fromState = createRequire(join(repoRoot, 'packages/state/package.json'));
  const source = dirname(fromState.resolve('better-sqlite3/package.json'));
  const target = join(project, 'node_modules', 'better-sqlite3');
  const binding = join('build', 'Release', 'better_sqlite3.node');
  const version = (dir: string) => readJson<Manifest>(join(dir, 'package.json')).version;
  if (!existsSync(join(source, binding)) || version(source) !== version(target)) return false;
  mkdirSync(dirname(join(target, binding)), { recursive: true });
  cpSync(join(source, binding), join(target, binding));
  return true;
}

async function provideNativeModules(project: string): Promise<void> {
  const pending = packagesWithInstallScripts(project).filter(
    (name) => name !== 'better-sqlite3' || !reuseSqliteBinding(project),
  );
  if (pending.length === 0) return;
  await run('npm', ['rebuild', ...pending], { cwd: project }).catch((error: unknown) => {
    throw new Error(`npm rebuild ${pending.join(' ')} failed: ${errorText(error)}`);
  });
}

async function runCheck(project: string, packed: Packed, format: 'esm' | 'cjs', home: string) {
  const file = join(
    project,
    `check-${packed.name.replace('/', '__')}.${format === 'esm' ? 'mjs' : 'cjs'}`,
  );
  writeFileSync(file, checkProgram(packed.name, packed.pkg.check, format));
  try {
    await run(process.execPath, [file], { cwd: project, env: smokeEnv(home) });
    pass(packed.name, format === 'esm' ? 'ESM import' : 'CJS require');
  } catch (error) {
    fail(packed.name, format === 'esm' ? 'ESM import' : 'CJS require', errorText(error));
  }
}

async function runCommand(
  project: string,
  packed: Packed,
  command: readonly string[],
  home: string,
) {
  const [bin = '', ...args] = command.map((part) => part.replaceAll('{home}', home));
  const label = `\`${[bin, ...command.slice(1)].join(' ')}\``;
  try {
    const { stdout } = await run(join(project, 'node_modules', '.bin', bin), args, {
      cwd: project,
      env: smokeEnv(home),
    });
    if (args.includes('--json')) JSON.parse(stdout);
    pass(packed.name, label);
  } catch (error) {
    fail(packed.name, label, errorText(error));
  }
}

function smokeEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SMOKE_HOME: home,
    AGENT_STATE_HOME: home,
    CODEX_HOME: home,
    NO_COLOR: '1',
  };
}

/** Runs `task` with a fresh empty directory as the home, then removes it. */
async function withHome(scratch: string, task: (home: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(scratch, 'home-'));
  try {
    await task(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function checkInstalled(project: string, packed: Packed, scratch: string): Promise<void> {
  for (const format of ['esm', 'cjs'] as const) {
    await withHome(scratch, (home) => runCheck(project, packed, format, home));
  }
  for (const command of packed.pkg.commands) {
    await withHome(scratch, (home) => runCommand(project, packed, command, home));
  }
}

function printSummary(seconds: number): void {
  console.log(
    `\npack smoke: ${passes.length} passed, ${failures.length} failed in ${seconds.toFixed(1)} s`,
  );
  for (const { pkg, step, message } of failures) {
    console.error(
      `FAILED ${pkg} — ${step}\n  ${firstLines(message, 30).replaceAll('\n       ', '\n  ')}`,
    );
  }
}

async function smoke(scratch: string, full: boolean): Promise<void> {
  const tarballs = join(scratch, 'tarballs');
  const project = join(scratch, 'project');
  mkdirSync(tarballs);
  mkdirSync(project);

  console.log(`packing ${PUBLIC_PACKAGES.length} packages`);
  const packed = await Promise.all(PUBLIC_PACKAGES.map((pkg) => pack(pkg, tarballs)));
  for (const item of packed) await inspectTarball(item, join(scratch, 'inspect'));

  console.log(`installing the tarballs with npm${full ? ' (with install scripts)' : ''}`);
  await installTarballs(
    project,
    packed.map((item) => item.tarball),
    full,
  );
  if (!full) await provideNativeModules(project);

  console.log('checking each package from the installed copy');
  for (const item of packed) await checkInstalled(project, item, scratch);
}

async function main(): Promise<number> {
  const started = performance.now();
  const full = process.argv.includes('--full-install');
  const scratch = mkdtempSync(join(tmpdir(), 'agent-state-pack-smoke-'));
  try {
    await smoke(scratch, full);
  } catch (error) {
    fail('pack-smoke', 'setup', errorText(error));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  printSummary((performance.now() - started) / 1000);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
