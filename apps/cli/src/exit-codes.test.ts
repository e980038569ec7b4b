import {
  InvalidArgumentError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StoreBusyError,
  StoreCorruptError,
} from '@agent-state/state';
import { CommanderError, InvalidArgumentError as CommanderInvalidArgumentError } from 'commander';
import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';

import { captureIo } from './capture-io.js';
import { CommandExit, ExitCode, exitCodeFor, reportError } from './exit-codes.js';

describe('exitCodeFor', () => {
  it.each([
    ['InvalidArgumentError', new InvalidArgumentError('--limit', 'must be positive'), 2],
    ['NotFoundError', new NotFoundError('thread 0199'), 3],
    ['LeaseHeldError', new LeaseHeldError('backfill'), 4],
    ['LeaseLostError', new LeaseLostError('backfill'), 1],
    ['StoreCorruptError', new StoreCorruptError('/h/agent_state_1.sqlite', 'bad'), 1],
    ['StoreBusyError', new StoreBusyError('/h/agent_state_1.sqlite'), 1],
    ['a plain Error', new Error('boom'), 1],
    ['a thrown string', 'boom', 1],
    ['a commander usage error', new CommanderError(1, 'commander.unknownOption', 'error: x'), 2],
    ['a commander argument error', new CommanderInvalidArgumentError('not a number'), 2],
    ['--help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), 0],
    ['--version', new CommanderError(0, 'commander.version', '0.1.0'), 0],
    ['a missing command', new CommanderError(1, 'commander.help', '(outputHelp)'), 2],
    ['a command that reported', new CommandExit(ExitCode.Failure), 1],
  ])('maps %s', (_what, error, expected) => {
    expect(exitCodeFor(error)).toBe(expected);
  });
});

describe('reportError', () => {
  const colors = picocolors.createColors(false);

  it('prints one line naming the problem, without a stack', () => {
    const io = captureIo();
    const error = new StoreCorruptError('/h/agent_state_1.sqlite', 'line one\nline two');
    const exitCode = reportError(error, { stderr: io.stderr, colors, verbose: false });
    expect(exitCode).toBe(ExitCode.Failure);
    expect(io.stderr.text()).toBe(
      'agent-state: database /h/agent_state_1.sqlite is corrupt: line one line two\n',
    );
  });

  it('adds the stack and the causes with verbose', () => {
    const io = captureIo();
    const error = new Error('outer', { cause: new Error('inner') });
    reportError(error, { stderr: io.stderr, colors, verbose: true });
    const text = io.stderr.text();
    expect(text.split('\n')[0]).toBe('agent-state: outer');
    expect(text).toContain('Error: outer\n    at ');
    expect(text).toContain('caused by:\nError: inner');
  });

  it('prints nothing for a command that already reported', () => {
    const io = captureIo();
    expect(
      reportError(new CommandExit(ExitCode.Failure), { stderr: io.stderr, colors, verbose: true }),
    ).toBe(ExitCode.Failure);
    expect(io.stderr.text()).toBe('');
  });
});
