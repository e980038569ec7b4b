import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { NotFoundError } from '@agent-state/state';
import {
  type MockRequest,
  type MockResponsesServer,
  type MockResponsesServerOptions,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConsolidationErrorCode } from '../errors/error-codes.js';
import { runConsolidationAgent } from './consolidation-agent.js';
import {
  ConsolidationAbortedError,
  ConsolidationMaxTurnsError,
  ConsolidationModelError,
  ConsolidationTimeoutError,
} from './consolidation-errors.js';
import { CONSOLIDATION_INSTRUCTIONS } from './consolidation-prompt.js';

const temp = tempDirs();
const servers: MockResponsesServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  temp.cleanup();
});

const RAW = '# Raw Memories\n\n## Thread `t1`\n\n- `pnpm test` needs `pnpm build` first\n';
const SECRET = 'outside the root\n';

let base: string;
let root: string;
let outsideFile: string;

beforeEach(() => {
  base = temp.make('memories-agent');
  root = join(base, 'memories');
  mkdirSync(join(root, 'rollout_summaries'), { recursive: true });
  writeFileSync(join(root, 'raw_memories.md'), RAW);
  writeFileSync(join(root, 'rollout_summaries', 't1.md'), 'thread_id: t1\n\nran the tests\n');
  outsideFile = join(base, 'outside.md');
  writeFileSync(outsideFile, SECRET);
});

async function start(options: MockResponsesServerOptions = {}) {
  const server = await startMockResponsesServer(options);
  servers.push(server);
  const client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
  return { server, client };
}

/** The `function_call_output` items of a request, by `call_id`. */
function toolOutputs(request: MockRequest | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (request?.input ?? []) as Array<Record<string, unknown>>) {
    if (item.type === 'function_call_output') out[item.call_id as string] = item.output as string;
  }
  return out;
}

function fileNames(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('runConsolidationAgent', () => {
  it('runs a scripted consolidation to the end and writes the three outputs', async () => {
    const { server, client } = await start();
    server.enqueue(
      { kind: 'function-calls', calls: [{ name: 'list_files', arguments: { path: null } }] },
      {
        kind: 'function-calls',
        reasoning: true,
        calls: [
          { name: 'read_file', arguments: { path: 'raw_memories.md', start_line: null } },
          { name: 'read_file', arguments: { path: 'rollout_summaries/t1.md', start_line: null } },
        ],
      },
      {
        kind: 'function-calls',
        text: 'Writing the memory now.',
        calls: [
          {
            name: 'write_file',
            arguments: { path: 'skills/run-tests/SKILL.md', content: '# Run tests\n' },
          },
          { name: 'write_file', arguments: { path: 'MEMORY.md', content: '# Memory\n' } },
          { name: 'write_file', arguments: { path: 'memory_summary.md', content: 'Summary\n' } },
        ],
      },
      { kind: 'text', text: 'Consolidated one thread into MEMORY.md and a skill.' },
    );

    const result = await runConsolidationAgent({
      client,
      model: 'mock-consolidator',
      reasoningEffort: 'medium',
      root,
      signal: new AbortController().signal,
    });

    expect(result).toMatchObject({
      turns: 4,
      toolCalls: 6,
      filesWritten: ['MEMORY.md', 'memory_summary.md', 'skills/run-tests/SKILL.md'],
      filesDeleted: [],
      finalMessage: 'Consolidated one thread into MEMORY.md and a skill.',
    });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('# Memory\n');
    expect(readFileSync(join(root, 'memory_summary.md'), 'utf8')).toBe('Summary\n');
    expect(readFileSync(join(root, 'skills/run-tests/SKILL.md'), 'utf8')).toBe('# Run tests\n');
    expect(readFileSync(join(root, 'raw_memories.md'), 'utf8')).toBe(RAW);

    const [first, second, third, fourth] = server.requests;
    expect(server.requests).toHaveLength(4);
    expect(first?.instructions).toBe(CONSOLIDATION_INSTRUCTIONS);
    expect(first?.model).toBe('mock-consolidator');
    expect(first?.reasoning).toEqual({ effort: 'medium' });
    expect(first?.body).toMatchObject({ store: false });
    expect(first?.body).not.toHaveProperty('previous_response_id');
    expect((first?.tools as Array<{ name: string }>).map((tool) => tool.name)).toEqual([
      'list_files',
      'read_file',
      'write_file',
      'delete_file',
    ]);
    // The first message carries the task and the current listing of the root.
    const opening = (first?.input as Array<{ role: string; content: Array<{ text: string }> }>)[0];
    expect(opening?.role).toBe('user');
    expect(opening?.content[0]?.text).toContain('rollout_summaries/t1.md (');
    expect(opening?.content[0]?.text).toContain('memory_summary.md');

    // Every call is answered with its call_id; the conversation is resent in full.
    expect(toolOutputs(second)).toEqual({
      call_mock_1_1: expect.stringContaining('raw_memories.md (') as string,
    });
    expect(toolOutputs(third)).toMatchObject({
      call_mock_2_1: RAW,
      call_mock_2_2: 'thread_id: t1\n\nran the tests\n',
    });
    expect(toolOutputs(fourth)).toMatchObject({
      call_mock_3_1: 'created skills/run-tests/SKILL.md (12 bytes)',
      call_mock_3_2: 'created MEMORY.md (9 bytes)',
      call_mock_3_3: 'created memory_summary.md (8 bytes)',
    });
    const replayed = fourth?.input as Array<Record<string, unknown>>;
    expect(replayed.filter((item) => item.type === 'function_call')).toHaveLength(6);
    // Function calls go back without server ids; id-only reasoning items are not resent.
    expect(replayed.some((item) => item.type === 'reasoning')).toBe(false);
    expect(replayed.filter((item) => item.type === 'function_call' && 'id' in item)).toEqual([]);
    expect(replayed).toContainEqual({
      type: 'message',
      role: 'assistant',
      content: 'Writing the memory now.',
    });
  });

  it('refuses escape attempts and read-only targets, and the run goes on', async () => {
    const { server, client } = await start();
    server.enqueue(
      {
        kind: 'function-calls',
        calls: [
          { name: 'write_file', arguments: { path: '../outside.md', content: 'pwned' } },
          { name: 'write_file', arguments: { path: outsideFile, content: 'pwned' } },
          { name: 'read_file', arguments: { path: '/etc/passwd', start_line: null } },
          { name: 'write_file', arguments: { path: 'raw_memories.md', content: 'pwned' } },
          { name: 'delete_file', arguments: { path: 'rollout_summaries/t1.md' } },
        ],
      },
      {
        kind: 'function-calls',
        calls: [{ name: 'write_file', arguments: { path: 'MEMORY.md', content: 'ok\n' } }],
      },
      { kind: 'text', text: 'Done.' },
    );

    const result = await runConsolidationAgent({ client, model: 'm', root });

    expect(result).toMatchObject({ turns: 3, toolCalls: 6, filesWritten: ['MEMORY.md'] });
    const outputs = toolOutputs(server.requests[1]);
    expect(Object.values(outputs)).toHaveLength(5);
    expect(outputs.call_mock_1_1).toMatch(/^error: path escapes the memories root/);
    expect(outputs.call_mock_1_2).toMatch(/^error: path escapes the memories root/);
    expect(outputs.call_mock_1_3).toMatch(/^error: path escapes the memories root/);
    expect(outputs.call_mock_1_4).toMatch(/^error: raw_memories.md is read-only/);
    expect(outputs.call_mock_1_5).toMatch(/^error: rollout_summaries\/t1.md is read-only/);
    expect(readFileSync(outsideFile, 'utf8')).toBe(SECRET);
    expect(readFileSync(join(root, 'raw_memories.md'), 'utf8')).toBe(RAW);
    expect(existsSync(join(root, 'rollout_summaries', 't1.md'))).toBe(true);
    expect(fileNames(base)).not.toContain('pwned');
  });

  it('answers unknown tools and malformed arguments with error results', async () => {
    const { server, client } = await start();
    server.enqueue(
      {
        kind: 'function-calls',
        calls: [
          { name: 'shell', arguments: { command: 'cat ~/.ssh/id_rsa' } },
          { name: 'write_file', arguments: '{"path": "MEMORY.md", "content": ' },
          { name: 'read_file', arguments: '"raw_memories.md"' },
        ],
      },
      { kind: 'text', text: 'Nothing to do.' },
    );

    const result = await runConsolidationAgent({ client, model: 'm', root });

    expect(result).toMatchObject({ turns: 2, toolCalls: 3, filesWritten: [] });
    expect(toolOutputs(server.requests[1])).toEqual({
      call_mock_1_1:
        'error: unknown tool "shell"; the tools are list_files, read_file, write_file, delete_file',
      call_mock_1_2: expect.stringMatching(
        /^error: the arguments of write_file are not valid JSON/,
      ) as string,
      call_mock_1_3: 'error: the arguments of read_file must be a JSON object',
    });
    expect(existsSync(join(root, 'MEMORY.md'))).toBe(false);
  });

  it('runs at most maxToolCallsPerTurn calls per response and answers the rest', async () => {
    const { server, client } = await start();
    server.enqueue(
      {
        kind: 'function-calls',
        calls: [
          { name: 'write_file', arguments: { path: 'MEMORY.md', content: '1' } },
          { name: 'write_file', arguments: { path: 'memory_summary.md', content: '2' } },
          { name: 'write_file', arguments: { path: 'skills/x/SKILL.md', content: '3' } },
        ],
      },
      { kind: 'text', text: 'ok' },
    );

    const result = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      maxToolCallsPerTurn: 2,
    });

    expect(result).toMatchObject({
      toolCalls: 2,
      filesWritten: ['MEMORY.md', 'memory_summary.md'],
    });
    expect(toolOutputs(server.requests[1]).call_mock_1_3).toMatch(
      /^error: not run: at most 2 tool calls are run per turn/,
    );
    expect(existsSync(join(root, 'skills'))).toBe(false);
  });

  it('fails with a typed error when the model is still calling tools after maxTurns', async () => {
    const { server, client } = await start({
      handler: () => ({
        kind: 'function-calls',
        calls: [{ name: 'write_file', arguments: { path: 'MEMORY.md', content: 'again' } }],
      }),
    });

    const error: unknown = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      maxTurns: 3,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConsolidationMaxTurnsError);
    expect(error).toMatchObject({
      code: ConsolidationErrorCode.MaxTurns,
      maxTurns: 3,
      message: 'the consolidation agent did not finish within 3 turns',
      progress: { turns: 3, toolCalls: 3, filesWritten: ['MEMORY.md'], filesDeleted: [] },
    });
    expect(server.requests).toHaveLength(3);
  });

  it('stops on abort mid-run: the request is cancelled and nothing more is written', async () => {
    const controller = new AbortController();
    const reason = new Error('phase-2 lease lost');
    const { server, client } = await start({
      handler: (request) => {
        if (request.index === 0) {
          return {
            kind: 'function-calls',
            calls: [{ name: 'write_file', arguments: { path: 'MEMORY.md', content: 'first' } }],
          };
        }
        // The first tool call has run; the owner aborts while the model "thinks".
        controller.abort(reason);
        return {
          kind: 'slow',
          delayMs: 50,
          then: {
            kind: 'function-calls',
            calls: [
              { name: 'write_file', arguments: { path: 'memory_summary.md', content: 'late' } },
              { name: 'write_file', arguments: { path: 'MEMORY.md', content: 'late' } },
            ],
          },
        };
      },
    });

    const error: unknown = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      signal: controller.signal,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConsolidationAbortedError);
    expect(error).toMatchObject({
      name: 'AbortError',
      code: ConsolidationErrorCode.Aborted,
      cause: reason,
      message: 'the consolidation agent was aborted: phase-2 lease lost',
      progress: { turns: 1, toolCalls: 1, filesWritten: ['MEMORY.md'] },
    });
    expect(server.requests).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('first');
    expect(existsSync(join(root, 'memory_summary.md'))).toBe(false);
  });

  it('stops before running tools when the abort lands while a response arrives', async () => {
    const controller = new AbortController();
    const { server, client } = await start({
      handler: (request) => {
        if (request.index === 1) controller.abort();
        return {
          kind: 'function-calls',
          calls: [
            {
              name: 'write_file',
              arguments: { path: `skills/s${request.index}/SKILL.md`, content: 'x' },
            },
          ],
        };
      },
    });

    const error: unknown = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      signal: controller.signal,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConsolidationAbortedError);
    expect(server.requests).toHaveLength(2);
    expect(fileNames(join(root, 'skills'))).toEqual(['s0', 's0/SKILL.md']);
  });

  it('does not start when the signal has already aborted', async () => {
    const { server, client } = await start();
    const error: unknown = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      signal: AbortSignal.abort(),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsolidationAbortedError);
    expect(server.requests).toHaveLength(0);
  });

  it('fails with a timeout error when the run exceeds timeoutMs', async () => {
    const { client } = await start({
      handler: () => ({ kind: 'slow', delayMs: 5_000, then: { kind: 'text', text: 'late' } }),
    });
    const error: unknown = await runConsolidationAgent({
      client,
      model: 'm',
      root,
      timeoutMs: 100,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsolidationTimeoutError);
    expect(error).toMatchObject({ name: 'TimeoutError', code: ConsolidationErrorCode.Timeout });
  });

  it('wraps request failures in a model error that carries the HTTP status', async () => {
    const { server, client } = await start();
    server.enqueue(
      {
        kind: 'function-calls',
        calls: [{ name: 'write_file', arguments: { path: 'MEMORY.md', content: 'kept' } }],
      },
      { kind: 'error', status: 500, message: 'upstream exploded' },
    );
    const error: unknown = await runConsolidationAgent({ client, model: 'm', root }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConsolidationModelError);
    expect(error).toMatchObject({
      code: ConsolidationErrorCode.ModelFailed,
      status: 500,
      progress: { turns: 1, filesWritten: ['MEMORY.md'] },
    });
    expect((error as Error).message).toBe(
      'consolidation model request failed: HTTP 500: upstream exploded',
    );
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('kept');
  });

  it('wraps broken responses in a model error', async () => {
    const { server, client } = await start();
    server.enqueue({ kind: 'malformed' });
    await expect(runConsolidationAgent({ client, model: 'm', root })).rejects.toBeInstanceOf(
      ConsolidationModelError,
    );
  });

  it('omits reasoning when no effort is given', async () => {
    const { server, client } = await start();
    server.enqueue({ kind: 'text', text: '' });
    const result = await runConsolidationAgent({ client, model: 'm', root });
    expect(result).toMatchObject({ turns: 1, toolCalls: 0, finalMessage: '', filesWritten: [] });
    expect(server.requests[0]?.body).not.toHaveProperty('reasoning');
  });

  it('refuses a missing root and bad bounds before any request', async () => {
    const { server, client } = await start();
    await expect(
      runConsolidationAgent({ client, model: 'm', root: join(base, 'nowhere') }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(runConsolidationAgent({ client, model: 'm', root, maxTurns: 0 })).rejects.toThrow(
      'invalid maxTurns: expected a positive integer, got 0',
    );
    expect(server.requests).toHaveLength(0);
  });
});
