import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import { AgentStateError, isAgentStateError } from './agent-state-error.js';
import { CoreErrorCode } from './core-error-code.js';
import {
  ERROR_CATEGORIES,
  errorCodeInfo,
  registerErrorCodes,
  registeredErrorCodes,
} from './error-table.js';
import type * as ErrorsApi from './index.js';

describe('the error table', () => {
  it('registers its own code, INTERNAL, with a category and a description', () => {
    expect(CoreErrorCode).toEqual({ Internal: 'INTERNAL' });
    expect(Object.isFrozen(CoreErrorCode)).toBe(true);
    const ours = registeredErrorCodes().filter((info) => info.owner === '@agent-state/errors');
    expect(ours).toEqual([
      {
        code: 'INTERNAL',
        category: 'internal',
        description: expect.stringContaining('toAgentStateError') as unknown,
        owner: '@agent-state/errors',
      },
    ]);
    expect(Object.keys(ERROR_CATEGORIES)).toContain('internal');
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
        Mine: { code: 'INTERNAL', category: 'internal', description: 'Mine now.' },
      }),
    ).toThrow('error code INTERNAL is registered already by @agent-state/errors');
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
    expect(errorCodeInfo('INTERNAL')?.owner).toBe('@agent-state/errors');
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
    const cjs = createRequire(import.meta.url)('@agent-state/errors') as typeof ErrorsApi;
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
