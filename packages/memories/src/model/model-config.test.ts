import { ErrorCode } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_CONSOLIDATION_MODEL,
  DEFAULT_EXTRACT_MODEL,
  DEFAULT_MAX_MEMORY_BYTES,
  resolveMemoriesModelConfig,
} from './model-config.js';

const TOML = `
[memories]
base_url = "http://127.0.0.1:9000/v1"
extract_model = "from-toml"
`;

describe('resolveMemoriesModelConfig', () => {
  it('takes options over the environment over config.toml, with defaults last', () => {
    expect(resolveMemoriesModelConfig({})).toMatchObject({
      baseUrl: undefined,
      apiKeyEnv: 'OPENAI_API_KEY',
      extract: { model: DEFAULT_EXTRACT_MODEL },
      consolidation: { model: DEFAULT_CONSOLIDATION_MODEL },
    });
    expect(resolveMemoriesModelConfig({ configToml: TOML })).toMatchObject({
      baseUrl: 'http://127.0.0.1:9000/v1',
      extract: { model: 'from-toml' },
    });
    const env = { OPENAI_BASE_URL: 'https://proxy.example.invalid/v1' };
    expect(resolveMemoriesModelConfig({ configToml: TOML, env }).baseUrl).toBe(env.OPENAI_BASE_URL);
    expect(
      resolveMemoriesModelConfig({
        configToml: TOML,
        env,
        options: { baseUrl: 'http://localhost:8080/v1', model: 'both' },
      }),
    ).toMatchObject({
      baseUrl: 'http://localhost:8080/v1',
      extract: { model: 'both' },
      consolidation: { model: 'both' },
    });
  });

  it('refuses a base URL that is not http(s), naming where it came from', () => {
    const cases: Array<[Parameters<typeof resolveMemoriesModelConfig>[0], string]> = [
      [{ options: { baseUrl: 'notaurl' } }, '--base-url'],
      [{ options: { baseUrl: 'ftp://127.0.0.1/v1' } }, '--base-url'],
      [{ env: { OPENAI_BASE_URL: '127.0.0.1:8080' } }, 'OPENAI_BASE_URL'],
      [{ env: { AGENT_STATE_MEMORIES_BASE_URL: 'localhost' } }, 'AGENT_STATE_MEMORIES_BASE_URL'],
      [{ configToml: '[memories]\nbase_url = "nope"\n' }, '[memories] base_url'],
    ];
    for (const [input, argument] of cases) {
      expect(() => resolveMemoriesModelConfig(input), argument).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidArgument, argument }),
      );
    }
  });

  it('takes the cap on MEMORY.md from options, then the environment, then config.toml', () => {
    const toml = '[memories]\nmax_memory_bytes = 30000\n';
    const env = { AGENT_STATE_MEMORY_MAX_BYTES: '20000' };
    const cap = (input: Parameters<typeof resolveMemoriesModelConfig>[0]) =>
      resolveMemoriesModelConfig(input).maxMemoryBytes;
    expect(cap({})).toBe(DEFAULT_MAX_MEMORY_BYTES);
    expect(cap({ configToml: toml })).toBe(30_000);
    expect(cap({ configToml: toml, env })).toBe(20_000);
    expect(cap({ configToml: toml, env, options: { maxMemoryBytes: 10_000 } })).toBe(10_000);
    const refused: Array<[Parameters<typeof resolveMemoriesModelConfig>[0], string]> = [
      [{ env: { AGENT_STATE_MEMORY_MAX_BYTES: '64k' } }, 'AGENT_STATE_MEMORY_MAX_BYTES'],
      [{ env: { AGENT_STATE_MEMORY_MAX_BYTES: '0' } }, 'AGENT_STATE_MEMORY_MAX_BYTES'],
      [{ configToml: '[memories]\nmax_memory_bytes = "big"\n' }, '[memories] max_memory_bytes'],
      [{ options: { maxMemoryBytes: 1.5 } }, '--max-memory-bytes'],
    ];
    for (const [input, argument] of refused) {
      expect(() => resolveMemoriesModelConfig(input), argument).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidArgument, argument }),
      );
    }
  });
});
