import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { AgentStateError, isAgentStateError } from './agent-state-error.js';
import {
  ERROR_CATEGORIES,
  errorCodeInfo,
  registerErrorCodes,
  registeredErrorCodes,
} from './error-table.js';
import { ErrorCode } from './errors.js';
import type * as StateApi from './index.js';

describe('the error table', () => {
  it("registers state's codes once each, with a category and a description", () => {
    const ours = registeredErrorCodes().filter((info) => info.owner === '@agent-state/state');
    expect(ours.map((info) => info.code).sort()).toEqual(Object.values(ErrorCode).sort());
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

  it('returns the constants of the codes it registers, and describes them', () => {
    const codes = registerErrorCodes('@agent-state/table-test', {
      Jammed: { code: 'TABLE_TEST_JAMMED', category: 'unsupported', description: 'Jammed.' },
    });
    expect(codes).toEqual({ Jammed: 'TABLE_TEST_JAMMED' });
    expect(errorCodeInfo('TABLE_TEST_JAMMED')).toEqual({
      code: 'TABLE_TEST_JAMMED',
      category: 'unsupported',
      description: 'Jammed.',
      owner: '@agent-state/table-test',
    });
    expect(errorCodeInfo('ENOENT')).toBeUndefined();
  });

  it("refuses another package's code, a malformed code, an unknown category, no description", () => {
    expect(() =>
      registerErrorCodes('@agent-state/intruder', {
        Busy: { code: 'STORE_BUSY', category: 'store', description: 'Mine now.' },
      }),
    ).toThrow('error code STORE_BUSY is registered already by @agent-state/state');
    expect(() =>
      registerErrorCodes('@agent-state/table-test', {
        Bad: { code: 'not-a-code', category: 'store', description: 'x' },
      }),
    ).toThrow('is not UPPER_SNAKE_CASE');
    expect(() =>
      registerErrorCodes('@agent-state/table-test', {
        // @ts-expect-error an unknown category, as untyped JavaScript could pass
        Bad: { code: 'TABLE_TEST_BAD', category: 'weird', description: 'x' },
      }),
    ).toThrow('unknown category weird');
    expect(() =>
      registerErrorCodes('@agent-state/table-test', {
        Bad: { code: 'TABLE_TEST_BAD', category: 'store', description: ' ' },
      }),
    ).toThrow('has no description');
    expect(errorCodeInfo('TABLE_TEST_BAD')).toBeUndefined();
    expect(errorCodeInfo('STORE_BUSY')?.owner).toBe('@agent-state/state');
  });

  it('keeps the first registration when a second copy of a package registers again', () => {
    const define = (description: string) =>
      registerErrorCodes('@agent-state/table-copy', {
        Gone: { code: 'TABLE_COPY_GONE', category: 'not-found', description },
      });
    expect(define('The first copy.')).toEqual({ Gone: 'TABLE_COPY_GONE' });
    expect(define('The second copy.')).toEqual({ Gone: 'TABLE_COPY_GONE' });
    expect(errorCodeInfo('TABLE_COPY_GONE')?.description).toBe('The first copy.');
    expect(registeredErrorCodes().filter((info) => info.code === 'TABLE_COPY_GONE')).toHaveLength(
      1,
    );
  });

  it('is one table for every copy of this package in a process (the ESM and the CJS build)', () => {
    // The package's own name resolves to its built CommonJS copy (`dist/index.cjs`).
    const cjs = createRequire(import.meta.url)('@agent-state/state') as typeof StateApi;
    expect(cjs.AgentStateError).not.toBe(AgentStateError);
    registerErrorCodes('@agent-state/table-test', {
      Shared: { code: 'TABLE_TEST_SHARED', category: 'lease', description: 'Seen by both.' },
    });
    expect(cjs.errorCodeInfo('TABLE_TEST_SHARED')?.category).toBe('lease');
    const theirs = new cjs.AgentStateError('TABLE_TEST_SHARED', 'from the other copy');
    expect(theirs).not.toBeInstanceOf(AgentStateError);
    expect(isAgentStateError(theirs)).toBe(true);
    expect(isAgentStateError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });
});
