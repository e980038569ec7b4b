import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import type { SessionMeta } from '../protocol/session-meta.js';
import { extractRolloutMetadata } from './extract-rollout.js';
import {
  MetadataApplier,
  PAGINATED_DEFAULT_SANDBOX_POLICY,
  builderFromSessionMeta,
  enumToString,
  subAgentFactsOf,
  userInputOfEvent,
} from './metadata-applier.js';
import { stripUserMessagePrefix } from './user-message.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const baseMeta: SessionMeta = {
  id: ID,
  timestamp: '2026-11-21T05:44:05.462Z',
  cwd: '/home/user/projects/repo-a',
  originator: 'codex_exec',
  cli_version: '0.100.0',
  source: 'exec',
  model_provider: 'mock',
  git: { commit_hash: 'abc', branch: 'main', repository_url: 'https://example.invalid/r.git' },
};

function applier(meta: SessionMeta = baseMeta): MetadataApplier {
  return new MetadataApplier(
    builderFromSessionMeta(meta, '/r.jsonl', { defaultProvider: 'openai' })!,
    {
      defaultProvider: 'openai',
    },
  );
}

describe('metadata rules', () => {
  it('starts from the session meta: creation time, source, provider, cwd, version, git', () => {
    expect(applier().result()).toMatchObject({
      id: ID,
      createdAt: 1_795_239_845,
      source: 'exec',
      modelProvider: 'mock',
      cwd: '/home/user/projects/repo-a',
      cliVersion: '0.100.0',
      sandboxPolicy: '{"type":"read-only"}',
      approvalMode: 'on-request',
      gitSha: 'abc',
      gitBranch: 'main',
    });
    const noSource = builderFromSessionMeta(
      { ...baseMeta, source: undefined, model_provider: null },
      '/r',
      {
        defaultProvider: 'openai',
      },
    );
    expect(noSource).toMatchObject({ source: 'vscode', modelProvider: 'openai' });
    expect(
      builderFromSessionMeta({ ...baseMeta, timestamp: 'yesterday' }, '/r', {
        defaultProvider: 'x',
      }),
    ).toBeUndefined();
    expect(
      builderFromSessionMeta({ ...baseMeta, history_mode: 'paginated' }, '/r', {
        defaultProvider: 'x',
      })?.sandboxPolicy,
    ).toBe(PAGINATED_DEFAULT_SANDBOX_POLICY);
  });

  it('ignores a session meta of another thread (a fork’s parent)', () => {
    const a = applier();
    a.sessionMeta({
      ...baseMeta,
      id: '01a1fca2-0000-7000-8000-000000000001',
      cwd: '/elsewhere',
      source: 'cli',
    });
    expect(a.result()).toMatchObject({ cwd: '/home/user/projects/repo-a', source: 'exec' });
  });

  it('takes cwd, sandbox (the permission profile when present) and approval from the last turn context', () => {
    const a = applier();
    a.turnContext({ cwd: '/one', approval_policy: 'never', sandbox_policy: { type: 'read-only' } });
    a.turnContext({
      cwd: '/two',
      approval_policy: { reject: { rules: true } },
      sandbox_policy: { type: 'workspace-write', network_access: false },
    });
    expect(a.result()).toMatchObject({
      cwd: '/two',
      approvalMode: '{"reject":{"rules":true}}',
      sandboxPolicy: '{"type":"workspace-write","network_access":false}',
    });
    a.turnContext({
      cwd: '/three',
      approval_policy: 'never',
      sandbox_policy: { type: 'read-only' },
      permission_profile: { type: 'disabled' },
    });
    expect(a.result().sandboxPolicy).toBe('{"type":"disabled"}');
  });

  it('sets tokens from the last token count that has info', () => {
    const a = applier();
    a.tokenCount({ type: 'token_count', info: { total_token_usage: usage(157) } });
    a.tokenCount({ type: 'token_count', info: null });
    expect(a.result().tokensUsed).toBe(157);
    a.tokenCount({ type: 'token_count', info: { total_token_usage: usage(-5) } });
    expect(a.result().tokensUsed).toBe(0);
  });

  it('skips malformed token counts instead of throwing (fuzz regression)', () => {
    const a = applier();
    a.tokenCount({ type: 'token_count', info: { total_token_usage: usage(42) } });
    for (const info of [
      {},
      { total_token_usage: null },
      { total_token_usage: { total_tokens: 'x' } },
      7,
    ]) {
      expect(() =>
        a.apply({
          timestamp: '2026-11-21T05:44:06.000Z',
          type: 'event_msg',
          payload: { type: 'token_count', info },
        }),
      ).not.toThrow();
    }
    expect(a.result().tokensUsed).toBe(42);
    const path = join(temp.make('tokens'), `rollout-2026-01-27T12-34-56-${ID}.jsonl`);
    writeFileSync(
      path,
      '{"timestamp":"2026-01-27T12:34:57.000Z","type":"event_msg","payload":{"type":"token_count","info":{}}}\n',
    );
    expect(extractRolloutMetadata(path, { defaultProvider: 'openai' }).metadata.tokensUsed).toBe(0);
  });

  it('takes the first user message, images as [Image], a later text as the title', () => {
    const a = applier();
    a.userInput({ text: '   ', hasImages: false });
    expect(a.result()).toMatchObject({ firstUserMessage: null, title: '' });
    a.userInput({ text: '', hasImages: true });
    expect(a.result()).toMatchObject({ firstUserMessage: '[Image]', title: '' });
    a.userInput({ text: 'context\n## My request for Codex:\n  fix the test  ', hasImages: false });
    expect(a.result()).toMatchObject({ firstUserMessage: '[Image]', title: 'fix the test' });
    a.userInput({ text: 'later message', hasImages: false });
    expect(a.result().title).toBe('fix the test');
    expect(a.wantsUserInput).toBe(false);
  });

  it('reads user input from legacy user_message and from 0.169 item_completed events', () => {
    expect(
      userInputOfEvent({
        type: 'user_message',
        message: 'hi',
        images: [],
        local_images: ['/p.png'],
      }),
    ).toEqual({
      text: 'hi',
      hasImages: true,
    });
    expect(
      userInputOfEvent({
        type: 'item_completed',
        item: {
          type: 'UserMessage',
          content: [
            { type: 'text', text: 'a' },
            { type: 'local_image', path: '/x' },
          ],
        },
      }),
    ).toEqual({ text: 'a', hasImages: true });
    expect(
      userInputOfEvent({ type: 'item_completed', item: { type: 'AgentMessage', content: [] } }),
    ).toBeUndefined();
    // Found by the soak fuzz (seed 4256634549): a damaged part is skipped, never a TypeError.
    expect(
      userInputOfEvent({
        type: 'item_completed',
        item: { type: 'UserMessage', content: [null, 1, { type: 'text', text: 'b' }] },
      }),
    ).toEqual({ text: 'b', hasImages: false });
    expect(userInputOfEvent({ type: 'agent_message', message: 'no' })).toBeUndefined();
  });

  it('stores enums as Codex does: strings raw, anything else as compact JSON', () => {
    expect(enumToString('on-request')).toBe('on-request');
    expect(enumToString({ subagent: 'review' })).toBe('{"subagent":"review"}');
    expect(stripUserMessagePrefix('  plain  ')).toBe('plain');
  });
});

describe('extractRolloutMetadata', () => {
  it('falls back to the file name when no session meta is usable, and takes mtime as updatedAt', () => {
    const dir = temp.make('x');
    const path = join(dir, `rollout-2026-01-27T12-34-56-${ID}.jsonl`);
    writeFileSync(
      path,
      '{"timestamp":"2026-01-27T12:34:57.000Z","type":"compacted","payload":{"message":"summary"}}\n',
    );
    const { metadata } = extractRolloutMetadata(path, {
      defaultProvider: 'openai',
      archived: false,
    });
    expect(metadata).toMatchObject({
      id: ID,
      createdAt: Date.parse('2026-01-27T12:34:56Z') / 1000,
      source: 'vscode',
      modelProvider: 'openai',
      firstUserMessage: null,
    });
  });

  it('marks an archived thread with the file’s mtime and not otherwise', () => {
    const dir = join(temp.make('y'), 'archived_sessions');
    const path = join(dir, `rollout-2026-01-27T12-34-56-${ID}.jsonl`);
    mkdirSync(dir);
    writeFileSync(
      path,
      `{"timestamp":"x","type":"session_meta","payload":${JSON.stringify(baseMeta)}}\n`,
    );
    const archived = extractRolloutMetadata(path, { defaultProvider: 'openai' }).metadata;
    expect(archived.archivedAt).toBe(archived.updatedAt);
    expect(
      extractRolloutMetadata(path, { defaultProvider: 'openai', archived: false }).metadata
        .archivedAt,
    ).toBeNull();
  });
});

function usage(total: number) {
  return {
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    reasoning_output_tokens: 0,
    total_tokens: total,
  };
}

describe('subAgentFactsOf', () => {
  const PARENT = '01a249b9-5eba-7de0-b66b-0557cb848718';

  it('takes Codex 0.169’s sub-agent fields, the parent from the spawn source when not written', () => {
    const meta: SessionMeta = {
      ...baseMeta,
      source: { subagent: { thread_spawn: { parent_thread_id: PARENT.toUpperCase(), depth: 1 } } },
      thread_source: 'subagent',
      agent_nickname: 'Peirce',
      agent_type: 'explorer',
    };
    expect(subAgentFactsOf(meta)).toEqual({
      threadSource: 'subagent',
      agentNickname: 'Peirce',
      agentRole: 'explorer',
      parentThreadId: PARENT,
      forkedFromId: null,
    });
    const start = builderFromSessionMeta(meta, '/r.jsonl', { defaultProvider: 'openai' });
    expect(start).toMatchObject({ parentThreadId: PARENT, agentRole: 'explorer' });
  });

  it('drops ids that are not UUIDs instead of rejecting the session_meta', () => {
    const meta: SessionMeta = { ...baseMeta, parent_thread_id: 'nope', forked_from_id: '../x' };
    expect(subAgentFactsOf(meta)).toMatchObject({ parentThreadId: null, forkedFromId: null });
    expect(builderFromSessionMeta(meta, '/r.jsonl', { defaultProvider: 'openai' })).toMatchObject({
      id: ID,
      parentThreadId: null,
    });
    expect(subAgentFactsOf({ ...baseMeta, forked_from_id: PARENT })).toMatchObject({
      forkedFromId: PARENT,
      threadSource: null,
    });
  });
});
