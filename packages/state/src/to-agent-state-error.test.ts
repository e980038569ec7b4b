import { describe, expect, it } from 'vitest';

import { AgentStateError } from './agent-state-error.js';
import {
  ErrorCode,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StoreBusyError,
} from './errors.js';
import { errorCategory, toAgentStateError } from './to-agent-state-error.js';

describe('toAgentStateError', () => {
  it('returns agent-state errors as they are', () => {
    const error = new StoreBusyError('/h/agent_state_1.sqlite');
    expect(toAgentStateError(error)).toBe(error);
  });

  it('wraps anything else as INTERNAL, keeping the message and the cause', () => {
    const bug = new TypeError('x is undefined');
    const wrapped = toAgentStateError(bug);
    expect(wrapped).toBeInstanceOf(AgentStateError);
    expect(wrapped).toMatchObject({ code: ErrorCode.Internal, message: 'x is undefined' });
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
    [new NotFoundError('thread 0199'), 'not-found'],
    [new LeaseHeldError('the backfill'), 'lease'],
    [new LeaseLostError('backfill'), 'aborted'],
    [new StoreBusyError('/h/agent_state_1.sqlite'), 'store'],
    [new AgentStateError('NOBODY_REGISTERED_THIS', 'x'), 'internal'],
    [new RangeError('bug'), 'internal'],
    [undefined, 'internal'],
  ])('classifies %s', (error, category) => {
    expect(errorCategory(error)).toBe(category);
  });
});
