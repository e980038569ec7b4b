// Test helpers for the memories pipeline: a backfilled copy of a real Codex home on a manual
// clock, a mock Responses API whose replies the test can hold back, and store wrappers that
// fail or record on purpose. Not part of the public API.

import { runBackfill } from '@agent-state/rollout';
import {
  type LogRecord,
  ManualClock,
  type AgentStateStore,
  createLogger,
  openStateStore,
} from '@agent-state/state';
import {
  type MockReply,
  type MockRequest,
  type MockResponsesServer,
  copyCodexHome,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import { expect } from 'vitest';

import { memoriesRoot } from '../layout/memory-layout.js';
import {
  type MemoriesModelConfig,
  createModelClient,
  resolveMemoriesModelConfig,
} from '../model/model-config.js';
import {
  type RunMemoriesOptions,
  type RunMemoriesResult,
  runMemories,
} from '../pipeline/run-memories.js';

/**
 * The fixture threads were last written on 2026-11-21 around 05:44 UTC: 13 hours later they are
 * idle enough for phase 1 and well within its 30-day window.
 */
export const LATER = Date.parse('2026-11-21T19:00:00Z');

/** Every source of the fixture home: 9 of its threads are then eligible for phase 1. */
export const ALL_SOURCES = ['cli', 'vscode', 'exec'];

/** How many fixture threads phase 1 extracts with {@link ALL_SOURCES}. */
export const ELIGIBLE_THREADS = 9;

/**
 * How long a test waits for a run to reach a point (`vi.waitFor`): a run reads rollouts and a
 * store, so on a loaded CI machine it takes far longer than `waitFor`'s default second.
 */
export const REACHED = { timeout: 15_000, interval: 20 } as const;

/** A valid phase-1 answer. */
export const STAGE1_ANSWER: MockReply = {
  kind: 'json',
  value: { rollout_summary: 'A session.', raw_memory: '- a memory', rollout_slug: null },
};

/** A phase-2 agent that writes `MEMORY.md` in its first turn and stops in its second. */
export function agentTurn(request: MockRequest): MockReply {
  const replied =
    Array.isArray(request.input) &&
    request.input.some(
      (item: unknown) => (item as { type?: unknown }).type === 'function_call_output',
    );
  return replied
    ? { kind: 'text', text: 'Done.' }
    : {
        kind: 'function-calls',
        calls: [{ name: 'write_file', arguments: { path: 'MEMORY.md', content: '# Memory\n' } }],
      };
}

/** Answers phase-1 requests with {@link STAGE1_ANSWER} and phase-2 ones with {@link agentTurn}. */
export function answerEverything(request: MockRequest): MockReply {
  return request.textFormat ? STAGE1_ANSWER : agentTurn(request);
}

/** A promise with its `resolve` outside. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

/** A {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** One backfilled home with its store, clock, mock server and `runMemories` bound to them. */
export interface PipelineHarness {
  home: string;
  root: string;
  store: AgentStateStore;
  clock: ManualClock;
  server: MockResponsesServer;
  config: MemoriesModelConfig;
  /** Everything logged through the runs' logger. */
  logs: LogRecord[];
  /** Replaces the mock server's handler (phase-1 requests have a `textFormat`, phase-2 ones not). */
  setHandler(handler: (request: MockRequest) => MockReply | Promise<MockReply>): void;
  /** Phase-1 requests received so far. */
  stage1Requests(): MockRequest[];
  run(extra?: Partial<RunMemoriesOptions>): Promise<RunMemoriesResult>;
}

/**
 * Makes {@link PipelineHarness}es and closes them all in `cleanup` (call it in `afterEach`).
 * Replies held back by a test are released as `hang` on cleanup, and the server drops them.
 */
export function pipelineHarnesses() {
  const temp = tempDirs();
  const cleanups: Array<() => Promise<void>> = [];
  return {
    async make(
      options: { concurrency?: number; maxMemoryBytes?: number } = {},
    ): Promise<PipelineHarness> {
      const home = copyCodexHome('v0.169.0', temp.make('home'));
      const clock = new ManualClock(LATER);
      const store = await openStateStore({ home, clock });
      let handler: (request: MockRequest) => MockReply | Promise<MockReply> = answerEverything;
      const server = await startMockResponsesServer({ handler: (request) => handler(request) });
      cleanups.push(async () => {
        await server.close();
        await store.close();
      });
      expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
      const config = resolveMemoriesModelConfig({
        options: {
          baseUrl: server.url,
          model: 'mock-model',
          maxRetries: 0,
          timeoutMs: 20_000,
          concurrency: options.concurrency,
          maxMemoryBytes: options.maxMemoryBytes,
        },
        env: {},
      });
      const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
      const logs: LogRecord[] = [];
      const logger = createLogger((record) => logs.push(record), { minLevel: 'debug' });
      return {
        home,
        root: memoriesRoot(home),
        store,
        clock,
        server,
        config,
        logs,
        setHandler(next) {
          handler = next;
        },
        stage1Requests: () => server.requests.filter((request) => request.textFormat),
        run: (extra = {}) =>
          runMemories({ store, client, config, allowedSources: ALL_SOURCES, logger, ...extra }),
      };
    },
    async cleanup(): Promise<void> {
      for (const cleanup of cleanups.splice(0)) await cleanup();
      temp.cleanup();
    },
  };
}

/**
 * `store` with some methods of one of its repositories (`stage1Jobs`, `phase2Lock`, `memories`)
 * replaced (the rest bound to the real repository), for store failures and spies.
 */
export function withRepository<K extends 'stage1Jobs' | 'phase2Lock' | 'memories'>(
  store: AgentStateStore,
  name: K,
  overrides: Partial<Record<keyof AgentStateStore[K], (...args: never[]) => unknown>>,
): AgentStateStore {
  const repository = new Proxy(store[name], {
    get(target, property, receiver) {
      const override = overrides[property as keyof AgentStateStore[K]];
      if (override) return override;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === name) return repository;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
