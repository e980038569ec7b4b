import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { openStateStore } from '@agent-state/state';
import {
  type MockResponsesServer,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { runCli } from '../../cli-harness.js';

const temp = tempDirs();
let server: MockResponsesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  temp.cleanup();
});

describe('agent-state demo', () => {
  it('builds a sample home and runs every step on it, offline', async () => {
    const home = join(temp.make('demo'), 'home');
    const run = await runCli(['--home', home, 'demo'], captureIo({ env: {} }));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    for (const step of [
      'backfill complete: 10 of 10 rollouts indexed',
      'IDE thread ✓',
      'no discrepancies: the store matches the rollouts',
      'INFO  backfill complete',
      'workspace-write: reads everywhere',
      'skipped: no model endpoint is configured',
      `Done. The sample home is ${home}`,
      `agent-state --home ${home} doctor`,
    ]) {
      expect(run.stdout).toContain(step);
    }

    // Both rollout formats and the archived threads are in the store.
    const store = await openStateStore({ home });
    try {
      expect(await store.threads.count()).toBe(10);
      const versions = new Set<string>();
      let archived = 0;
      for (const id of [
        '01a1fca2-22e1-7283-8765-3dcfddf60544',
        '01a1fca2-53fc-76e0-8b92-101a077348df',
      ]) {
        const thread = await store.threads.get(id);
        if (thread?.archivedAt !== null && thread?.archivedAt !== undefined) archived += 1;
        if (thread) versions.add(thread.cliVersion);
      }
      expect(archived).toBe(2);
      expect([...versions].sort()).toEqual(['0.100.0', '0.169.0']);
    } finally {
      await store.close();
    }

    // The home it prints works with the commands it suggests.
    const doctor = await runCli(['--home', home, 'doctor', '--json'], captureIo({ env: {} }));
    expect(doctor.exitCode).toBe(0);
  });

  it('uses a new temporary directory without --home, never the home of the environment', async () => {
    const codexHome = temp.make('codex-home');
    const run = await runCli(['demo'], captureIo({ env: { CODEX_HOME: codexHome } }));
    expect(run.exitCode).toBe(0);
    expect(readdirSync(codexHome)).toEqual([]);
    const home = /The sample home is (.+); try:/.exec(run.stdout)?.[1];
    expect(home).toBeDefined();
    expect(existsSync(join(home ?? '', 'agent_state_1.sqlite'))).toBe(true);
    rmSync(home ?? '', { recursive: true, force: true });
  });

  it('refuses a directory that is not empty (exit 2) and writes nothing into it', async () => {
    const home = temp.make('used');
    writeFileSync(join(home, 'notes.txt'), 'mine');
    mkdirSync(join(home, 'sessions'));
    const run = await runCli(['--home', home, 'demo'], captureIo({ env: {} }));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--home');
    expect(run.stderr).toContain('not empty');
    expect(readdirSync(home).sort()).toEqual(['notes.txt', 'sessions']);
  });

  it('runs the memories pipeline when a model endpoint is given', async () => {
    let agentTurns = 0;
    server = await startMockResponsesServer({
      handler: (request) => {
        if (request.textFormat) {
          return {
            kind: 'json',
            value: { rollout_summary: 'A session.', raw_memory: '- a memory', rollout_slug: 's' },
          };
        }
        agentTurns += 1;
        return agentTurns === 1
          ? {
              kind: 'function-calls',
              calls: [
                {
                  name: 'write_file',
                  arguments: { path: 'memory_summary.md', content: 'Answers briefly.\n' },
                },
              ],
            }
          : { kind: 'text', text: 'done' };
      },
    });
    const home = join(temp.make('demo'), 'home');
    const run = await runCli(
      ['--home', home, 'demo', '--base-url', server.url, '--model', 'mock'],
      captureIo({ env: { OPENAI_API_KEY: 'test' } }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/phase 1: \d+ thread\(s\) claimed: \d+ with memories/);
    expect(run.stdout).toContain('phase 2: consolidated');
    expect(run.stdout).toContain('Answers briefly.');
  });

  it('says what is missing when the endpoint has no API key, and exits 1', async () => {
    const home = join(temp.make('demo'), 'home');
    const run = await runCli(
      ['--home', home, 'demo', '--base-url', 'http://127.0.0.1:9/v1'],
      captureIo({ env: {} }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('OPENAI_API_KEY');
    expect(run.stdout).toContain('Done, with problems (memories run failed)');
  });
});
