import { createRequire } from 'node:module';

import {
  AgentStateError,
  CoreErrorCode,
  ERROR_CATEGORIES,
  errorCategory,
  errorCodeInfo,
  isAgentStateError,
  registerErrorCodes,
  registeredErrorCodes,
  toAgentStateError,
} from '@agent-state/errors';
import { describe, expect, it } from 'vitest';

import {
  ErrorCode,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StoreBusyError,
} from './errors.js';
import type * as StateApi from './index.js';

describe("state's error codes", () => {
  it("registers state's codes once each, with a category and a description", () => {
    const ours = registeredErrorCodes().filter((info) => info.owner === '@agent-state/state');
    // `ErrorCode.Internal` is the `INTERNAL` of @agent-state/errors, kept here for compatibility.
    const { Internal, ...own } = ErrorCode;
    expect(ours.map((info) => info.code).sort()).toEqual(Object.values(own).sort());
    expect(Internal).toBe(CoreErrorCode.Internal);
    expect(errorCodeInfo(Internal)?.owner).toBe('@agent-state/errors');
    for (const info of ours) {
      expect(Object.keys(ERROR_CATEGORIES)).toContain(info.category);
      expect(info.description.trim()).not.toBe('');
    }
  });

  it("keeps state's code strings (they are public: JSON output, logs, tests)", () => {
    expect(ErrorCode).toEqual({
      InvalidArgument: 'INVALID_ARGUMENT',
      NotFound: 'NOT_FOUND',
      StoreCorrupt: 'STORE_CORRUPT',
      StoreTooNew: 'STORE_TOO_NEW',
      StoreForeign: 'STORE_FOREIGN',
      StoreBusy: 'STORE_BUSY',
      StoreIo: 'STORE_IO',
      LeaseHeld: 'LEASE_HELD',
      LeaseLost: 'LEASE_LOST',
      RolloutUnreadable: 'ROLLOUT_UNREADABLE',
      RolloutInvalid: 'ROLLOUT_INVALID',
      Internal: 'INTERNAL',
    });
    expect(Object.isFrozen(ErrorCode)).toBe(true);
  });

  it("refuses another package's claim on state's codes", () => {
    expect(() =>
      registerErrorCodes('@agent-state/intruder', {
        Busy: { code: 'STORE_BUSY', category: 'store', description: 'Mine now.' },
      }),
    ).toThrow('error code STORE_BUSY is registered already by @agent-state/state');
    expect(errorCodeInfo('STORE_BUSY')?.owner).toBe('@agent-state/state');
  });

  it("shares the table with state's CJS build, which registers its codes again", () => {
    // The package's own name resolves to its built CommonJS copy (`dist/index.cjs`).
    const cjs = createRequire(import.meta.url)('@agent-state/state') as typeof StateApi;
    expect(cjs.StoreBusyError).not.toBe(StoreBusyError);
    expect(cjs.errorCodeInfo('STORE_BUSY')?.owner).toBe('@agent-state/state');
    const theirs = new cjs.StoreBusyError('/h/agent_state_1.sqlite');
    expect(theirs).not.toBeInstanceOf(AgentStateError);
    expect(isAgentStateError(theirs)).toBe(true);
    expect(toAgentStateError(theirs)).toBe(theirs);
    expect(errorCategory(theirs)).toBe('store');
  });
});

describe("toAgentStateError and errorCategory on state's errors", () => {
  it('returns agent-state errors as they are', () => {
    const error = new StoreBusyError('/h/agent_state_1.sqlite');
    expect(toAgentStateError(error)).toBe(error);
  });

  it('wraps anything else as ErrorCode.Internal', () => {
    expect(toAgentStateError(new TypeError('x is undefined'))).toMatchObject({
      code: ErrorCode.Internal,
      message: 'x is undefined',
    });
  });

  it.each([
    [new NotFoundError('thread 0199'), 'not-found'],
    [new LeaseHeldError('the backfill'), 'lease'],
    [new LeaseLostError('backfill'), 'aborted'],
    [new StoreBusyError('/h/agent_state_1.sqlite'), 'store'],
  ])('classifies %s', (error, category) => {
    expect(errorCategory(error)).toBe(category);
  });
});
