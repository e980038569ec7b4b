import { InvalidArgumentError } from '@agent-state/state';
import OpenAI from 'openai';
import { parse as parseToml } from 'smol-toml';

/**
 * Reasoning effort a phase asks the model for.
 *
 * @example
 * ```ts
 * const effort: ReasoningEffort = 'low';
 * ```
 */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

const EFFORTS: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];

/**
 * The model of one phase.
 *
 * @example
 * ```ts
 * const extract: PhaseModel = { model: 'gpt-5-mini', reasoningEffort: 'low' };
 * ```
 */
export interface PhaseModel {
  model: string;
  reasoningEffort?: ReasoningEffort | undefined;
}

/**
 * How the memories pipeline reaches its model: any OpenAI-compatible Responses API.
 *
 * @example
 * ```ts
 * const config = resolveMemoriesModelConfig({ env: process.env, options: { baseUrl: 'http://127.0.0.1:8080/v1' } });
 * ```
 */
export interface MemoriesModelConfig {
  /** API base URL (default: the `openai` package's, or `$OPENAI_BASE_URL`). */
  baseUrl: string | undefined;
  /** Name of the environment variable that holds the API key (default `OPENAI_API_KEY`). */
  apiKeyEnv: string;
  /** Phase 1: per-thread extraction (default model `gpt-5-mini`). */
  extract: PhaseModel;
  /** Phase 2: the consolidation agent (default model `gpt-5`). */
  consolidation: PhaseModel;
  /** Per request, ms (default 10 minutes). */
  timeoutMs: number;
  /** Retries of a request on 429, 5xx and connection errors, with backoff (default 3). */
  maxRetries: number;
  /** Phase-1 requests in flight at once (default 8). */
  concurrency: number;
  /**
   * Largest `MEMORY.md` a consolidation may leave, in bytes (default
   * {@link DEFAULT_MAX_MEMORY_BYTES}). The agent is told; a consolidation that writes a larger
   * one fails with its reason, and the previous outputs are put back.
   */
  maxMemoryBytes: number;
}

/**
 * Default cap on `MEMORY.md`: 64 KiB, some 16,000 tokens. Large enough for months of projects
 * stated once; small enough that an agent can read it whole (a Codex user reported a 601 KB one).
 *
 * @example
 * ```ts
 * resolveMemoriesModelConfig({}).maxMemoryBytes === DEFAULT_MAX_MEMORY_BYTES; // true
 * ```
 */
export const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024;

/**
 * Default model of phase 1 (extraction): a small, fast one.
 *
 * @example
 * ```ts
 * resolveMemoriesModelConfig({}).extract.model === DEFAULT_EXTRACT_MODEL; // true
 * ```
 */
export const DEFAULT_EXTRACT_MODEL = 'gpt-5-mini';

/**
 * Default model of phase 2 (the consolidation agent): a stronger one.
 *
 * @example
 * ```ts
 * resolveMemoriesModelConfig({}).consolidation.model === DEFAULT_CONSOLIDATION_MODEL; // true
 * ```
 */
export const DEFAULT_CONSOLIDATION_MODEL = 'gpt-5';

/**
 * Options of {@link resolveMemoriesModelConfig}: explicit values win over the environment, which
 * wins over `config.toml`.
 *
 * @example
 * ```ts
 * const input: ResolveModelConfigInput = { options: { model: 'gpt-5-mini' }, env: process.env, configToml };
 * ```
 */
export interface ResolveModelConfigInput {
  options?: {
    baseUrl?: string | undefined;
    apiKeyEnv?: string | undefined;
    /** Both phases' model (each can still be set on its own). */
    model?: string | undefined;
    extractModel?: string | undefined;
    consolidationModel?: string | undefined;
    reasoningEffort?: string | undefined;
    timeoutMs?: number | undefined;
    maxRetries?: number | undefined;
    concurrency?: number | undefined;
    maxMemoryBytes?: number | undefined;
  };
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The text of `<home>/config.toml`, if any. Its `[memories]` table is read. */
  configToml?: string | undefined;
  /** For error messages. */
  configPath?: string | undefined;
}

/**
 * Resolves the model configuration, per phase: explicit options, then the environment
 * (`AGENT_STATE_MEMORIES_BASE_URL` or `OPENAI_BASE_URL`, `AGENT_STATE_EXTRACT_MODEL`,
 * `AGENT_STATE_CONSOLIDATION_MODEL`, `AGENT_STATE_MEMORIES_API_KEY_ENV`), then `config.toml`'s
 * `[memories]` table (`base_url`, `api_key_env`, `extract_model`, `consolidation_model`,
 * `extract_reasoning_effort`, `consolidation_reasoning_effort`, `request_timeout_ms`,
 * `max_retries`, `concurrency`, `max_memory_bytes`; the cap's variable is
 * `AGENT_STATE_MEMORY_MAX_BYTES`). Bad values raise `InvalidArgumentError` naming the key.
 *
 * @example
 * ```ts
 * const config = resolveMemoriesModelConfig({ env: process.env, configToml: readFileSync(`${home}/config.toml`, 'utf8') });
 * ```
 */
export function resolveMemoriesModelConfig(input: ResolveModelConfigInput): MemoriesModelConfig {
  const options = input.options ?? {};
  const env = input.env ?? {};
  const file = memoriesTable(input.configToml, input.configPath);
  const text = (key: string): string | undefined => {
    const value = file[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidArgumentError(
        `[memories] ${key}`,
        `expected a non-empty string in ${input.configPath ?? 'config.toml'}`,
      );
    }
    return value;
  };
  const number = (
    key: string,
    flag: string,
    explicit: number | undefined,
    min: number,
  ): number | undefined => {
    const value = explicit ?? file[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(
        explicit === undefined ? `[memories] ${key}` : flag,
        `expected an integer >= ${min}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const effort = (value: string | undefined, where: string): ReasoningEffort | undefined => {
    if (value === undefined) return undefined;
    if (!(EFFORTS as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(
        where,
        `expected ${EFFORTS.join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    return value as ReasoningEffort;
  };
  const sharedEffort = effort(options.reasoningEffort, '--reasoning-effort');
  const envMaxMemoryBytes = env.AGENT_STATE_MEMORY_MAX_BYTES;
  if (envMaxMemoryBytes !== undefined && envMaxMemoryBytes.trim() !== '') {
    if (!/^\d+$/u.test(envMaxMemoryBytes.trim()) || Number(envMaxMemoryBytes) < 1) {
      throw new InvalidArgumentError(
        'AGENT_STATE_MEMORY_MAX_BYTES',
        `expected a number of bytes >= 1, got ${JSON.stringify(envMaxMemoryBytes)}`,
      );
    }
  }
  return {
    baseUrl: httpUrl([
      ['--base-url', options.baseUrl],
      ['AGENT_STATE_MEMORIES_BASE_URL', env.AGENT_STATE_MEMORIES_BASE_URL],
      ['OPENAI_BASE_URL', env.OPENAI_BASE_URL],
      ['[memories] base_url', text('base_url')],
    ]),
    apiKeyEnv:
      options.apiKeyEnv ??
      env.AGENT_STATE_MEMORIES_API_KEY_ENV ??
      text('api_key_env') ??
      'OPENAI_API_KEY',
    extract: {
      model:
        options.extractModel ??
        options.model ??
        env.AGENT_STATE_EXTRACT_MODEL ??
        text('extract_model') ??
        DEFAULT_EXTRACT_MODEL,
      reasoningEffort:
        sharedEffort ??
        effort(text('extract_reasoning_effort'), '[memories] extract_reasoning_effort'),
    },
    consolidation: {
      model:
        options.consolidationModel ??
        options.model ??
        env.AGENT_STATE_CONSOLIDATION_MODEL ??
        text('consolidation_model') ??
        DEFAULT_CONSOLIDATION_MODEL,
      reasoningEffort:
        sharedEffort ??
        effort(text('consolidation_reasoning_effort'), '[memories] consolidation_reasoning_effort'),
    },
    timeoutMs: number('request_timeout_ms', '--timeout-ms', options.timeoutMs, 1) ?? 600_000,
    maxRetries: number('max_retries', '--max-retries', options.maxRetries, 0) ?? 3,
    concurrency: number('concurrency', '--concurrency', options.concurrency, 1) ?? 8,
    maxMemoryBytes:
      number(
        'max_memory_bytes',
        '--max-memory-bytes',
        options.maxMemoryBytes ??
          (envMaxMemoryBytes?.trim() ? Number(envMaxMemoryBytes) : undefined),
        1,
      ) ?? DEFAULT_MAX_MEMORY_BYTES,
  };
}

/**
 * The first set value of `candidates` (named by where it comes from), checked to be an http(s)
 * URL: a typo fails here, naming its source, before any job is claimed.
 */
function httpUrl(candidates: ReadonlyArray<[string, string | undefined]>): string | undefined {
  const found = candidates.find(([, value]) => value !== undefined && value.trim() !== '');
  if (!found) return undefined;
  const [source, value = ''] = found;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new InvalidArgumentError(
      source,
      `expected an http(s) URL such as http://127.0.0.1:8080/v1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The `openai` client for a configuration. Throws `InvalidArgumentError` naming the variable when
 * the API key is not set (a local server without auth can be given any value).
 *
 * @example
 * ```ts
 * const client = createModelClient(config, { env: process.env });
 * ```
 */
export function createModelClient(
  config: MemoriesModelConfig,
  options: { env: Readonly<Record<string, string | undefined>> },
): OpenAI {
  const apiKey = options.env[config.apiKeyEnv];
  if (!apiKey) {
    throw new InvalidArgumentError(
      config.apiKeyEnv,
      `not set: the memories pipeline needs an API key for ${config.baseUrl ?? 'the OpenAI API'} (any value for a local server)`,
    );
  }
  return new OpenAI({
    apiKey,
    baseURL: config.baseUrl,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
  });
}

function memoriesTable(
  toml: string | undefined,
  path: string | undefined,
): Record<string, unknown> {
  if (toml === undefined) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(toml);
  } catch (error) {
    throw new InvalidArgumentError(
      path ?? 'config.toml',
      (error as Error).message.split('\n')[0] ?? 'invalid TOML',
    );
  }
  const table = parsed.memories;
  if (table === undefined) return {};
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new InvalidArgumentError('[memories]', `expected a table in ${path ?? 'config.toml'}`);
  }
  return table as Record<string, unknown>;
}
