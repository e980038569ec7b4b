import {
  ConsolidationTimeoutError,
  Stage1OutputError,
  Stage1OutputErrorCode,
} from '@agent-state/memories';
import {
  InvalidSandboxPolicyError,
  UnsupportedSandboxPolicyError,
} from '@agent-state/sandbox-policy';
import {
  AgentStateError,
  ERROR_CATEGORIES,
  InvalidArgumentError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StoreBusyError,
  StoreCorruptError,
  registeredErrorCodes,
} from '@agent-state/state';
import { CommanderError, InvalidArgumentError as CommanderInvalidArgumentError } from 'commander';
import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';

import { captureIo } from './capture-io.js';
import {
  CommandExit,
  EXIT_CODE_OF_CATEGORY,
  ExitCode,
  exitCodeFor,
  reportError,
} from './exit-codes.js';

/** The progress of a consolidation run that did nothing. */
const NO_PROGRESS = { turns: 0, toolCalls: 0, filesWritten: [], filesDeleted: [] };

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
    ['InvalidSandboxPolicyError', new InvalidSandboxPolicyError('sandbox_mode', 'bad'), 2],
    ['UnsupportedSandboxPolicyError', new UnsupportedSandboxPolicyError('bwrap', 'no'), 1],
    ['ConsolidationTimeoutError', new ConsolidationTimeoutError(1000, NO_PROGRESS), 1],
    ['Stage1OutputError', new Stage1OutputError(Stage1OutputErrorCode.Invalid, 'x', 'y'), 1],
  ])('maps %s', (_what, error, expected) => {
    expect(exitCodeFor(error)).toBe(expected);
  });

  it('has an exit code for every category of the error table', () => {
    expect(Object.keys(EXIT_CODE_OF_CATEGORY).sort()).toEqual(Object.keys(ERROR_CATEGORIES).sort());
  });

  it('keeps the exit code of every registered code (the README documents them)', () => {
    const expected: Record<string, number> = {
      INVALID_ARGUMENT: 2,
      INVALID_SANDBOX_POLICY: 2,
      NOT_FOUND: 3,
      LEASE_HELD: 4,
      LEASE_LOST: 1,
      STORE_CORRUPT: 1,
      STORE_TOO_NEW: 1,
      STORE_FOREIGN: 1,
      STORE_BUSY: 1,
      STORE_IO: 1,
      ROLLOUT_UNREADABLE: 1,
      ROLLOUT_INVALID: 1,
      UNSUPPORTED_SANDBOX_POLICY: 1,
      MEMORIES_AGENT_MAX_TURNS: 1,
      MEMORIES_AGENT_ABORTED: 1,
      MEMORIES_AGENT_TIMEOUT: 1,
      MEMORIES_AGENT_MODEL_FAILED: 1,
      MEMORIES_MEMORY_OVER_CAP: 1,
      STAGE1_OUTPUT_UNPARSABLE: 1,
      STAGE1_OUTPUT_INVALID: 1,
      STAGE1_OUTPUT_INCOMPLETE: 1,
      INTERNAL: 1,
    };
    const codes = registeredErrorCodes().map((info) => info.code);
    expect(codes.sort()).toEqual(Object.keys(expected).sort());
    for (const code of codes) {
      expect([code, exitCodeFor(new AgentStateError(code, 'x'))]).toEqual([code, expected[code]]);
    }
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
