import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import {
  THREAD_SOURCE_KINDS,
  appServerSource,
  parseSourceKind,
  parseSourceKinds,
  sourceKindOf,
  sourceMatchesKinds,
} from './thread-source-kind.js';

const SPAWN =
  '{"subagent":{"thread_spawn":{"parent_thread_id":"01a249b9-5eba-7de0-b66b-0557cb848718","depth":1,"agent_path":null,"agent_nickname":"Peirce","agent_role":null}}}';

describe('parseSourceKind', () => {
  it('takes Codex’s spelling and the spellings users type', () => {
    for (const kind of THREAD_SOURCE_KINDS) expect(parseSourceKind(kind)).toBe(kind);
    expect(parseSourceKind('subagent')).toBe('subAgent');
    expect(parseSourceKind('SUBAGENT')).toBe('subAgent');
    expect(parseSourceKind('sub-agent')).toBe('subAgent');
    expect(parseSourceKind('subagent-review')).toBe('subAgentReview');
    expect(parseSourceKind('sub_agent_thread_spawn')).toBe('subAgentThreadSpawn');
    expect(parseSourceKind('app-server')).toBe('appServer');
    expect(parseSourceKind('mcp')).toBe('appServer');
    expect(parseSourceKind('VSCode')).toBe('vscode');
  });

  it('rejects anything else, naming the argument and the kinds', () => {
    for (const bad of ['', 'review', '{"subagent":"review"}', 'cli2']) {
      expect(() => parseSourceKind(bad, '--source')).toThrowError(
        expect.objectContaining({ code: ErrorCode.InvalidArgument, argument: '--source' }),
      );
    }
    expect(() => parseSourceKind('nope')).toThrowError(/subAgentThreadSpawn/);
    expect(parseSourceKinds(['exec', 'subagent', 'Exec'])).toEqual(['exec', 'subAgent']);
    expect(parseSourceKinds(undefined)).toEqual([]);
  });
});

describe('sourceKindOf and sourceMatchesKinds', () => {
  it('classify stored sources as Codex does', () => {
    const cases: Array<[string, string | null]> = [
      ['cli', 'cli'],
      ['vscode', 'vscode'],
      ['exec', 'exec'],
      ['mcp', 'appServer'],
      ['{"subagent":"review"}', 'subAgentReview'],
      ['{"subagent":"compact"}', 'subAgentCompact'],
      [SPAWN, 'subAgentThreadSpawn'],
      ['{"subagent":{"other":"guardian"}}', 'subAgentOther'],
      ['{"subagent":"memory_consolidation"}', 'subAgent'],
      ['unknown', 'unknown'],
      ['appserver', 'unknown'], // Codex reads a stored `appserver` as Unknown, not Mcp
      ['{"subagent":"weird"}', 'unknown'], // not a sub-agent source Codex can read
      ['{"custom":"atlas"}', null],
      ['{"internal":"memory_consolidation"}', null],
    ];
    for (const [source, kind] of cases)
      expect([source, sourceKindOf(source)]).toEqual([source, kind]);
  });

  it('match the family on subAgent and one variant on the others; empty takes all', () => {
    expect(sourceMatchesKinds(SPAWN, ['subAgent'])).toBe(true);
    expect(sourceMatchesKinds(SPAWN, ['subAgentThreadSpawn'])).toBe(true);
    expect(sourceMatchesKinds(SPAWN, ['subAgentReview', 'exec'])).toBe(false);
    expect(sourceMatchesKinds('{"subagent":"memory_consolidation"}', ['subAgentOther'])).toBe(
      false,
    );
    expect(sourceMatchesKinds('{"custom":"atlas"}', ['unknown'])).toBe(false);
    expect(sourceMatchesKinds('{"custom":"atlas"}', [])).toBe(true);
  });
});

describe('appServerSource', () => {
  it('gives what Codex’s thread/list reports as a thread’s source', () => {
    expect(appServerSource('exec')).toBe('exec');
    expect(appServerSource('mcp')).toBe('appServer');
    expect(appServerSource('{"subagent":"review"}')).toEqual({ subAgent: 'review' });
    expect(appServerSource(SPAWN)).toEqual({
      subAgent: {
        thread_spawn: {
          parent_thread_id: '01a249b9-5eba-7de0-b66b-0557cb848718',
          depth: 1,
          agent_path: null,
          agent_nickname: 'Peirce',
          agent_role: null,
        },
      },
    });
    expect(appServerSource('{"custom":"atlas"}')).toEqual({ custom: 'atlas' });
    expect(appServerSource('{"internal":"memory_consolidation"}')).toBe('unknown');
    expect(appServerSource('whatever')).toBe('unknown');
  });
});
