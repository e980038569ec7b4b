import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import {
  DEFAULT_APPROVAL_MODE,
  DEFAULT_SANDBOX_POLICY,
  THREAD_METADATA_FIELDS,
  buildThreadMetadata,
  diffThreadMetadata,
  isThreadId,
  normalizeThreadId,
} from './thread-metadata.js';

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';

describe('buildThreadMetadata', () => {
  it("applies Codex's defaults", () => {
    const meta = buildThreadMetadata(
      { id: ID, rolloutPath: '/h/sessions/r.jsonl', createdAt: 1_795_239_845.9, source: 'cli' },
      { defaultProvider: 'openai' },
    );
    expect(meta).toEqual({
      id: ID,
      rolloutPath: '/h/sessions/r.jsonl',
      createdAt: 1_795_239_845,
      updatedAt: 1_795_239_845,
      source: 'cli',
      modelProvider: 'openai',
      cwd: '',
      cliVersion: '',
      title: '',
      sandboxPolicy: DEFAULT_SANDBOX_POLICY,
      approvalMode: DEFAULT_APPROVAL_MODE,
      tokensUsed: 0,
      firstUserMessage: null,
      archivedAt: null,
      gitSha: null,
      gitBranch: null,
      gitOriginUrl: null,
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      parentThreadId: null,
      forkedFromId: null,
    });
    expect(DEFAULT_SANDBOX_POLICY).toBe('{"type":"read-only"}');
    expect(DEFAULT_APPROVAL_MODE).toBe('on-request');
  });

  it('keeps given optional fields, falls back on an empty provider, lowercases the id', () => {
    const meta = buildThreadMetadata(
      {
        id: ID.toUpperCase(),
        rolloutPath: '/r.jsonl',
        createdAt: 10,
        updatedAt: 20.5,
        source: 'exec',
        modelProvider: '',
        cwd: '/home/user/projects/repo-a',
        cliVersion: '0.100.0',
        approvalMode: 'never',
        archivedAt: 30,
        gitBranch: 'main',
      },
      { defaultProvider: 'mock' },
    );
    expect(meta).toMatchObject({
      id: ID,
      updatedAt: 20,
      modelProvider: 'mock',
      cwd: '/home/user/projects/repo-a',
      cliVersion: '0.100.0',
      approvalMode: 'never',
      archivedAt: 30,
      gitBranch: 'main',
      gitSha: null,
    });
  });

  it('rejects ids that are not UUIDs and times that are not numbers', () => {
    const input = { id: '../../etc/passwd', rolloutPath: '/r', createdAt: 1, source: 'cli' };
    expect(() => buildThreadMetadata(input, { defaultProvider: 'x' })).toThrowError(
      expect.objectContaining({ code: ErrorCode.InvalidArgument, argument: 'thread id' }),
    );
    expect(() =>
      buildThreadMetadata({ ...input, id: ID, createdAt: Number.NaN }, { defaultProvider: 'x' }),
    ).toThrowError(/createdAt/);
  });
});

describe('diffThreadMetadata', () => {
  it('names the differing fields in declaration order', () => {
    const a = buildThreadMetadata(
      { id: ID, rolloutPath: '/r', createdAt: 1, source: 'cli' },
      { defaultProvider: 'p' },
    );
    const b = { ...a, tokensUsed: 5, title: 'changed', archivedAt: 9 };
    expect(diffThreadMetadata(a, b)).toEqual(['title', 'tokensUsed', 'archivedAt']);
    expect(diffThreadMetadata(a, { ...a })).toEqual([]);
    expect(THREAD_METADATA_FIELDS).toHaveLength(22);
  });
});

describe('thread ids', () => {
  it('accepts hyphenated UUIDs of any case and nothing else', () => {
    expect(isThreadId(ID)).toBe(true);
    expect(isThreadId(ID.toUpperCase())).toBe(true);
    for (const bad of [
      '',
      ID.slice(1),
      `${ID}/..`,
      ID.replaceAll('-', ''),
      `${ID}\0`,
      '/abs/path',
    ]) {
      expect(isThreadId(bad)).toBe(false);
    }
    expect(normalizeThreadId(ID.toUpperCase())).toBe(ID);
    expect(() => normalizeThreadId('nope', 'threads show <id>')).toThrowError(
      'invalid threads show <id>: expected a UUID, got "nope"',
    );
  });
});
