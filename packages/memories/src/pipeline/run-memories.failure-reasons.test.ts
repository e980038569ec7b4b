import { createServer } from 'node:net';

import type { AgentStateStore } from '@agent-state/state';
import { afterEach, describe, expect, it } from 'vitest';

import { createModelClient, resolveMemoriesModelConfig } from '../model/model-config.js';
import { REDACTED } from '../phase1/redact-secrets.js';
import { pipelineHarnesses, withRepository } from '../test-support/pipeline-harness.js';

const harnesses = pipelineHarnesses();
afterEach(() => harnesses.cleanup());

// Fake credentials, assembled so that no scanner mistakes this file for a leak.
const KEY = ['sk-proj-', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'].join('');
const PASSWORD = ['hunter2', ',hunter2'].join('');

/** A base URL where nothing listens (a port bound, then closed). */
async function deadBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

/** `store` with every stage-1 failure reason it is given recorded in `reasons`. */
function recordingFailures(store: AgentStateStore, reasons: string[]): AgentStateStore {
  return withRepository(store, 'stage1Jobs', {
    markFailed: (options: Parameters<AgentStateStore['stage1Jobs']['markFailed']>[0]) => {
      reasons.push(options.reason);
      return store.stage1Jobs.markFailed(options);
    },
  });
}

describe('failure reasons', () => {
  it('keep the causes of a connection error: the code, not only "Connection error."', async () => {
    const h = await harnesses.make();
    expect((await h.run({ phases: 'phase1', maxThreads: 2 })).phase1.succeeded).toBe(2);
    const config = resolveMemoriesModelConfig({
      options: { baseUrl: await deadBaseUrl(), model: 'mock-model', maxRetries: 0 },
      env: {},
    });
    const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
    const stored: string[] = [];

    const result = await h.run({
      client,
      config,
      maxThreads: 2,
      store: recordingFailures(h.store, stored),
    });
    expect(result.phase1).toMatchObject({ claimed: 2, failed: 2 });
    for (const reason of [...result.phase1.failures.map((f) => f.reason), ...stored]) {
      expect(reason).toMatch(/^Connection error\..*ECONNREFUSED/);
    }
    expect(stored).toHaveLength(2);
    expect(result.phase2.outcome).toBe('failed');
    expect(result.phase2.reason).toMatch(/Connection error\..*ECONNREFUSED/);
    expect((await h.store.memories.jobCounts()).phase2.lastError).toBe(result.phase2.reason);
  });

  it('redact secrets that a server echoes in its error body, in the store and in the logs', async () => {
    const h = await harnesses.make();
    expect((await h.run({ phases: 'phase1', maxThreads: 2 })).phase1.succeeded).toBe(2);
    h.setHandler(() => ({
      kind: 'error',
      status: 500,
      message: `upstream rejected Authorization: Bearer ${KEY} (password=${PASSWORD})`,
    }));
    const stored: string[] = [];

    const result = await h.run({ maxThreads: 2, store: recordingFailures(h.store, stored) });
    expect(result.phase1).toMatchObject({ claimed: 2, failed: 2 });
    expect(result.phase2.outcome).toBe('failed');
    const lastError = (await h.store.memories.jobCounts()).phase2.lastError ?? '';
    const reasons = [...result.phase1.failures.map((f) => f.reason), ...stored, lastError];
    for (const reason of reasons) {
      expect(reason).not.toContain(KEY);
      expect(reason).not.toContain('hunter2');
      expect(reason).toContain('HTTP 500: upstream rejected Authorization: Bearer');
      expect(reason).toContain(REDACTED);
    }
    const logged = JSON.stringify(h.logs);
    expect(logged).toContain('upstream rejected');
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain('hunter2');
  });
});
