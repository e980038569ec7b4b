import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { openStateStore } from '@agent-state/state';

import {
  type MockResponsesServer,
  copyCodexHome,
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
  temp.cleanup();
});

describe('agent-state memories', () => {
  it('runs both phases against an OpenAI-compatible server, then has nothing to do', async () => {
    let agentTurns = 0;
    server = await startMockResponsesServer({
      handler: (request) => {
        if (request.textFormat) {
          return {
            kind: 'json',
            value: {
              rollout_summary: 'A session.',
              raw_memory: '- a memory',
              rollout_slug: 'session',
            },
          };
        }
        agentTurns += 1;
        return agentTurns === 1
          ? {
              kind: 'function-calls',
              calls: [
                {
                  name: 'write_file',
                  arguments: { path: 'memory_summary.md', content: 'Short answers.\n' },
                },
              ],
            }
          : { kind: 'text', text: 'done' };
      },
    });
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const env = { OPENAI_API_KEY: 'test' };
    expect((await runCli(['--home', home, 'backfill'], captureIo({ env }))).exitCode).toBe(0);
    const args = [
      '--home',
      home,
      'memories',
      'run',
      '--base-url',
      server.url,
      '--model',
      'mock',
      '--min-idle-hours',
      '0',
      // The fixture's threads are from 2026-11: keep them eligible whatever today's date.
      '--max-age-days',
      '36500',
    ];
    const first = await runCli(
      [...args, '--source', 'exec', '--source', 'vscode', '--json'],
      captureIo({ env }),
    );
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      phase1: { claimed: 9, succeeded: 9, failed: 0 },
      phase2: { outcome: 'consolidated', filesWritten: ['memory_summary.md'] },
    });
    expect(existsSync(join(home, 'memories', 'raw_memories.md'))).toBe(true);

    const requests = server.requests.length;
    const second = await runCli([...args, '--source', 'exec'], captureIo({ env }));
    expect(second.stdout).toContain('nothing new to consolidate');
    expect(server.requests.length).toBe(requests);

    const status = await runCli(
      ['--home', home, 'memories', 'status', '--json'],
      captureIo({ env }),
    );
    expect(JSON.parse(status.stdout)).toMatchObject({ stage1: { done: 9 }, outputs: 9 });
    const text = await runCli(['--home', home, 'memories', 'status'], captureIo({ env }));
    expect(text.stdout.split('\n').slice(1, 7)).toEqual([
      'stage-1 jobs      9 done, 0 running, 0 pending, 0 failed (to retry), 0 out of retries',
      'disabled threads  0 (never extracted)',
      'phase 2           done',
      'outputs           9',
      'MEMORY.md         none yet',
      expect.stringMatching(
        /^files {13}MEMORY\.md none, memory_summary\.md 15 B, raw_memories\.md \d+(\.\d+)? KiB, 0 skills$/,
      ),
    ]);
    const show = await runCli(['--home', home, 'memories', 'show'], captureIo({ env }));
    expect(show.stdout).toBe('Short answers.\n');
  });

  it('reports failed requests per thread, keeps them for a retry and exits 1', async () => {
    server = await startMockResponsesServer({
      handler: () => ({ kind: 'error', status: 400, message: 'model not found: nope' }),
    });
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const env = { OPENAI_API_KEY: 'test' };
    expect((await runCli(['--home', home, 'backfill'], captureIo({ env }))).exitCode).toBe(0);
    const run = await runCli(
      [
        '--home',
        home,
        'memories',
        'run',
        '--base-url',
        server.url,
        '--model',
        'nope',
        '--min-idle-hours',
        '0',
        '--max-age-days',
        '36500',
        '--max',
        '2',
      ],
      captureIo({ env }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '2 thread(s) claimed: 0 with memories, 0 with nothing to remember, 2 failed',
    );
    expect(run.stdout).toContain('model not found: nope');
    expect(run.stderr).toContain('2 thread(s) failed in phase 1');
    expect(existsSync(join(home, 'memories', 'raw_memories.md'))).toBe(false);

    const status = await runCli(
      ['--home', home, 'memories', 'status', '--json'],
      captureIo({ env }),
    );
    expect(JSON.parse(status.stdout)).toMatchObject({ stage1: { error: 2, done: 0 }, outputs: 0 });
  });

  it('names the missing API key variable and bad flags (exit 2)', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const noKey = await runCli(['--home', home, 'memories', 'run'], captureIo({ env: {} }));
    expect(noKey.exitCode).toBe(2);
    expect(noKey.stderr).toContain('OPENAI_API_KEY');
    for (const flag of [
      ['--phase', '3'],
      ['--max', '0'],
      ['--min-idle-hours', '-1'],
      ['--max-age-days', 'soon'],
      ['--base-url', 'notaurl'],
    ]) {
      const run = await runCli(
        ['--home', home, 'memories', 'run', ...flag],
        captureIo({ env: { OPENAI_API_KEY: 'x' } }),
      );
      expect(run.exitCode, flag.join(' ')).toBe(2);
      expect(run.stderr).toContain(flag[0]);
    }
  });

  it('status shows who holds the consolidation lock', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home });
    await store.phase2Lock.enqueue(100);
    const claim = await store.phase2Lock.tryClaim({ workerId: 'w', leaseSeconds: 3600 });
    expect(claim.outcome).toBe('claimed');
    await store.close();
    const json = await runCli(['--home', home, 'memories', 'status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      phase2: { status: 'running', holder: { host: hostname(), pid: process.pid } },
    });
    const text = await runCli(['--home', home, 'memories', 'status']);
    expect(text.stdout).toContain(
      `running; new input to consolidate; held by pid ${process.pid} on host ${hostname()}; leased until `,
    );
  });

  it('show and status refuse a home that does not exist (exit 3)', async () => {
    const missing = join(temp.make('parent'), 'missing');
    for (const command of ['show', 'status']) {
      const run = await runCli(['--home', missing, 'memories', command]);
      expect(run.exitCode, command).toBe(3);
      expect(run.stderr, command).toMatch(/not found/);
    }
    expect(existsSync(missing)).toBe(false);
  });
});
