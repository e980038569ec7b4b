import * as errors from '@agent-state/errors';
import * as logsClient from '@agent-state/logs-client';
import * as memories from '@agent-state/memories';
import * as rollout from '@agent-state/rollout';
import * as sandboxPolicy from '@agent-state/sandbox-policy';
import * as state from '@agent-state/state';
import * as web from '@agent-state/web';
import { describe, expect, it } from 'vitest';

import * as cli from './index.js';

// The one error table, seen from the top of the layering, where every package is loaded: each
// package registers the codes it declares, and every error class a package exports raises one.

// `ErrorCode.Internal` of state is the `INTERNAL` of @agent-state/errors, kept for compatibility.
const { Internal: _internal, ...stateCodes } = state.ErrorCode;

/** Each package's public API and the code constants it declares. */
const PACKAGES = [
  { name: '@agent-state/errors', api: errors, codes: [errors.CoreErrorCode] },
  { name: '@agent-state/state', api: state, codes: [stateCodes] },
  { name: '@agent-state/rollout', api: rollout, codes: [] },
  {
    name: '@agent-state/sandbox-policy',
    api: sandboxPolicy,
    codes: [sandboxPolicy.SandboxErrorCode],
  },
  {
    name: '@agent-state/memories',
    api: memories,
    codes: [memories.ConsolidationErrorCode, memories.Stage1OutputErrorCode],
  },
  { name: '@agent-state/logs-client', api: logsClient, codes: [] },
  { name: '@agent-state/web', api: web, codes: [web.WebErrorCode] },
  { name: '@agent-state/cli', api: cli, codes: [] },
] as const;

const NO_PROGRESS = { turns: 0, toolCalls: 0, filesWritten: [], filesDeleted: [] };

/** One instance of every error class the packages export. */
const SAMPLES: Error[] = [
  new state.AgentStateError(state.ErrorCode.NotFound, 'thread 0199 not found'),
  new state.InvalidArgumentError('--limit', 'must be positive'),
  new state.NotFoundError('thread 0199'),
  new state.StoreCorruptError('/h/agent_state_1.sqlite', 'bad'),
  new state.StoreTooNewError('/h/agent_state_1.sqlite', 7, 5),
  new state.StoreForeignError('/h/agent_state_1.sqlite', 42),
  new state.StoreBusyError('/h/agent_state_1.sqlite'),
  new state.StoreIoError('/h', 'read-only'),
  new state.LeaseHeldError('the backfill'),
  new state.LeaseLostError('backfill'),
  new rollout.RolloutFileError(state.ErrorCode.RolloutInvalid, '/h/r.jsonl', 'not JSON'),
  new rollout.ArchiveRefusedError('id-mismatch', '/h/r.jsonl', 'not its rollout'),
  new sandboxPolicy.SandboxPolicyError(sandboxPolicy.SandboxErrorCode.Invalid, 'bad policy'),
  new sandboxPolicy.InvalidSandboxPolicyError('sandbox_mode', 'unknown mode'),
  new sandboxPolicy.UnsupportedSandboxPolicyError('bwrap', 'no such root'),
  new memories.ConsolidationAgentError(
    memories.ConsolidationErrorCode.ModelFailed,
    'no response',
    NO_PROGRESS,
  ),
  new memories.ConsolidationMaxTurnsError(24, NO_PROGRESS),
  new memories.ConsolidationAbortedError(new Error('shutdown'), NO_PROGRESS),
  new memories.ConsolidationTimeoutError(1000, NO_PROGRESS),
  new memories.ConsolidationModelError('500 boom', NO_PROGRESS, { status: 500 }),
  new memories.ConsolidationOverCapError(70_000, 65_536, NO_PROGRESS),
  new memories.Stage1OutputError(memories.Stage1OutputErrorCode.Unparsable, 'no JSON', 'Sorry'),
  new web.ListenError(web.WebErrorCode.PortInUse, { host: '127.0.0.1', port: 4815 }),
];

describe('the error table', () => {
  it('registers every declared code exactly once, with a category and a description', () => {
    const declared = PACKAGES.flatMap(({ name, codes }) =>
      codes.flatMap((table) => Object.values(table).map((code: string) => ({ code, owner: name }))),
    );
    const registered = state.registeredErrorCodes();
    expect(new Set(declared.map(({ code }) => code)).size).toBe(declared.length);
    expect(registered.map(({ code, owner }) => ({ code, owner }))).toEqual(
      [...declared].sort((a, b) => (a.code < b.code ? -1 : 1)),
    );
    for (const info of registered) {
      expect(Object.keys(state.ERROR_CATEGORIES), info.code).toContain(info.category);
      expect(info.description.trim(), info.code).not.toBe('');
    }
  });

  it('gives every exported error class a registered code, as an AgentStateError', () => {
    // Each class once, under the first package that exports it.
    const exported = new Map<unknown, string>();
    for (const { name, api } of PACKAGES) {
      for (const [exportName, value] of Object.entries(api)) {
        const isErrorClass =
          typeof value === 'function' &&
          (value as { prototype: unknown }).prototype instanceof Error;
        if (isErrorClass && !exported.has(value)) exported.set(value, `${name}:${exportName}`);
      }
    }
    const sampled = SAMPLES.map(
      (sample) => exported.get(sample.constructor) ?? `not exported: ${sample.constructor.name}`,
    );
    expect(sampled.sort()).toEqual([...exported.values()].sort());
    for (const sample of SAMPLES) {
      expect(sample, sample.constructor.name).toBeInstanceOf(state.AgentStateError);
      const { code } = sample as state.AgentStateError;
      expect(state.errorCodeInfo(code), `${sample.constructor.name}: ${code}`).toBeDefined();
    }
  });
});
