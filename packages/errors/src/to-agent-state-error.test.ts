import { describe, expect, it } from 'vitest';

import { AgentStateError } from './agent-state-error.js';
import { CoreErrorCode } from './core-error-code.js';
import { registerErrorCodes } from './error-table.js';
import { errorCategory, toAgentStateError } from './to-agent-state-error.js';

const TestErrorCode = registerErrorCodes('@agent-state/classifier-test', {
  Busy: { code: 'CLASSIFIER_TEST_BUSY', category: 'store', description: 'Busy.' },
});

describe('toAgentStateError', () => {
  it('returns agent-state errors as they are', () => {
    const error = new AgentStateError(TestErrorCode.Busy, 'busy', { path: '/h/a.sqlite' });
    expect(toAgentStateError(error)).toBe(error);
  });

  it('wraps anything else as INTERNAL, keeping the message and the cause', () => {
    const bug = new TypeError('x is undefined');
    const wrapped = toAgentStateError(bug);
    expect(wrapped).toBeInstanceOf(AgentStateError);
    expect(wrapped).toMatchObject({ code: CoreErrorCode.Internal, message: 'x is undefined' });
    expect(wrapped.cause).toBe(bug);

    expect(toAgentStateError('boom')).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    expect(toAgentStateError(new Error(''))).toMatchObject({ message: 'Error' });
    const noPrototype = Object.create(null) as object;
    expect(toAgentStateError(noPrototype)).toMatchObject({ message: '[object Object]' });
    expect(toAgentStateError(noPrototype).cause).toBe(noPrototype);
    // An `Error` with a code nobody registered is not one of ours.
    const system = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(toAgentStateError(system)).toMatchObject({ code: 'INTERNAL', cause: system });
  });
});

describe('errorCategory', () => {
  it.each([
    [new AgentStateError(TestErrorCode.Busy, 'busy'), 'store'],
    [new AgentStateError('NOBODY_REGISTERED_THIS', 'x'), 'internal'],
    [new RangeError('bug'), 'internal'],
    [undefined, 'internal'],
  ])('classifies %s', (error, category) => {
    expect(errorCategory(error)).toBe(category);
  });
});
