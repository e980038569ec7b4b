import { readFileSync } from 'node:fs';

import { tempDirs } from '@agent-state/test-utils';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from './capture-io.js';
import { ExitCode } from './exit-codes.js';
import { createProgram, main } from './program.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

async function run(args: string[], io = captureIo()) {
  const exitCode = await main(['node', 'agent-state', ...args], io);
  return { exitCode, stdout: io.stdout.text(), stderr: io.stderr.text() };
}

describe('agent-state', () => {
  it('prints the version of package.json with --version', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const result = await run(['--version']);
    expect(result).toEqual({ exitCode: ExitCode.Ok, stdout: `${version}\n`, stderr: '' });
  });

  it('prints help with the commands and examples on stdout with --help', async () => {
    const result = await run(['--help']);
    expect(result.exitCode).toBe(ExitCode.Ok);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Usage: agent-state [--home <dir>] [--verbose] <command>');
    for (const command of ['backfill', 'threads', 'reconcile', 'logs', 'doctor']) {
      expect(result.stdout).toMatch(new RegExp(`\\n  ${command} `));
    }
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('agent-state --home ~/.codex doctor --json');
  });

  it('prints a command’s help with `help <command>` and exits 0', async () => {
    const result = await run(['help', 'doctor']);
    expect(result.exitCode).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('Usage: agent-state doctor');
    expect(result.stdout).toContain('--json');
  });

  // Every command, found by walking the program: a new command cannot miss its examples.
  const commandPaths = (command: Command, prefix: string[] = []): string[][] =>
    command.commands.flatMap((sub) => {
      const path = [...prefix, sub.name()];
      return [path, ...commandPaths(sub, path)];
    });
  it.each(commandPaths(createProgram(captureIo())))(
    'prints the help of `%s` with examples',
    async (...command) => {
      const result = await run([...command, '--help']);
      expect(result.exitCode).toBe(ExitCode.Ok);
      expect(result.stdout).toContain(`Usage: agent-state ${command.join(' ')}`);
      expect(result.stdout).toMatch(/Examples:\n {2}\$ (\S+=\S+ )?agent-state /);
    },
  );

  it('exits 2 with the help on stderr when no command is given', async () => {
    const result = await run([]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: agent-state');
  });

  it('exits 2 on an unknown command, with one line on stderr', async () => {
    const result = await run(['frobnicate']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "agent-state: unknown command 'frobnicate' (see `agent-state --help`)\n",
    );
  });

  it('suggests the closest command on a typo', async () => {
    const result = await run(['doctr']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('Did you mean doctor?');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    ['an unknown option', ['doctor', '--bogus'], "unknown option '--bogus'"],
    ['a missing option value', ['--home'], "option '--home <dir>' argument missing"],
    ['an extra argument', ['doctor', 'extra'], "too many arguments for 'doctor'"],
  ])('exits 2 on %s', async (_what, args, message) => {
    const result = await run(args);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^agent-state: .+\n$/);
    expect(result.stderr).toContain(message);
  });

  it('points a subcommand’s usage error at that subcommand’s help', async () => {
    const result = await run(['threads', 'list', '--limit']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(
      "agent-state: option '--limit <n>' argument missing (see `agent-state threads list --help`)\n",
    );
  });

  it('exits 2 when the home is unusable (InvalidArgumentError)', async () => {
    const result = await run(['--home', 'a\0b', 'doctor']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toBe('agent-state: invalid --home: contains a NUL byte\n');
  });

  it('prints the stack of an error with --verbose', async () => {
    const result = await run(['--verbose', '--home', 'a\0b', 'doctor']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toMatch(/^agent-state: invalid --home: contains a NUL byte\n/);
    expect(result.stderr).toContain('InvalidArgumentError: invalid --home');
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('accepts the global options after the command', async () => {
    const home = temp.make('home');
    const result = await run(['doctor', '--json', '--home', home]);
    expect(result.exitCode).toBe(ExitCode.Ok);
    expect((JSON.parse(result.stdout) as { home: string }).home).toBe(home);
  });

  it('resolves the home from $AGENT_STATE_HOME when --home is not given', async () => {
    const home = temp.make('home');
    const result = await run(['doctor', '--json'], captureIo({ env: { AGENT_STATE_HOME: home } }));
    expect(result.exitCode).toBe(ExitCode.Ok);
    expect((JSON.parse(result.stdout) as { home: string }).home).toBe(home);
  });
});
