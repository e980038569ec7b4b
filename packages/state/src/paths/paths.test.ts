import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { logsDbFileName, matchGeneration, stateDbFileName } from './generations.js';
import { logsDbPath, resolveHome, stateDbPath } from './home.js';

describe('database file names', () => {
  it('carry the generation', () => {
    expect(stateDbFileName()).toBe('agent_state_1.sqlite');
    expect(stateDbFileName(7)).toBe('agent_state_7.sqlite');
    expect(logsDbFileName()).toBe('agent_logs_1.sqlite');
    expect(stateDbPath('/h')).toBe(join('/h', 'agent_state_1.sqlite'));
    expect(logsDbPath('/h')).toBe(join('/h', 'agent_logs_1.sqlite'));
  });

  it('classify names against the current generation', () => {
    expect(matchGeneration('agent_state.sqlite', 'agent_state', 2)).toEqual({
      kind: 'older',
      generation: null,
    });
    expect(matchGeneration('agent_state_1.sqlite', 'agent_state', 2)).toEqual({
      kind: 'older',
      generation: 1,
    });
    expect(matchGeneration('agent_state_2.sqlite', 'agent_state', 2)).toEqual({ kind: 'current' });
    expect(matchGeneration('agent_state_10.sqlite', 'agent_state', 2)).toEqual({
      kind: 'newer',
      generation: 10,
    });
    for (const name of [
      'state_5.sqlite',
      'agent_state_.sqlite',
      'agent_state_1a.sqlite',
      'agent_state_1.sqlite-wal',
      'agent_logs_1.sqlite',
    ]) {
      expect(matchGeneration(name, 'agent_state', 2)).toBeNull();
    }
  });
});

describe('resolveHome', () => {
  const base = { userHome: '/users/me', cwd: '/home/me/src/dir' };

  it('takes --home, then AGENT_STATE_HOME, then CODEX_HOME, then ~/.codex', () => {
    const env = { AGENT_STATE_HOME: '/a', CODEX_HOME: '/c' };
    expect(resolveHome({ ...base, home: '/flag', env })).toBe('/flag');
    expect(resolveHome({ ...base, env })).toBe('/a');
    expect(resolveHome({ ...base, env: { CODEX_HOME: '/c' } })).toBe('/c');
    expect(resolveHome({ ...base, env: {} })).toBe(join('/users/me', '.codex'));
  });

  it('ignores empty values and makes relative paths absolute', () => {
    expect(
      resolveHome({ ...base, home: '', env: { AGENT_STATE_HOME: '  ', CODEX_HOME: 'rel/home' } }),
    ).toBe('/home/me/src/dir/rel/home');
    expect(() => resolveHome({ ...base, home: 'a\0b' })).toThrowError(/--home/);
  });

  it('expands a leading ~ that no shell expanded, and only that', () => {
    expect(resolveHome({ ...base, home: '~/.codex' })).toBe('/users/me/.codex');
    expect(resolveHome({ ...base, env: { CODEX_HOME: '~' } })).toBe('/users/me');
    expect(resolveHome({ ...base, home: '~other/.codex' })).toBe('/home/me/src/dir/~other/.codex');
    expect(resolveHome({ ...base, home: 'a/~/b' })).toBe('/home/me/src/dir/a/~/b');
  });
});
