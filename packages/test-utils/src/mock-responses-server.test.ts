import { connect } from 'node:net';

import OpenAI, { type APIError } from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type MockResponsesServer, startMockResponsesServer } from './mock-responses-server.js';

let server: MockResponsesServer;
beforeEach(async () => {
  server = await startMockResponsesServer();
});
afterEach(() => server.close());

function client(options: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  // `logLevel: 'off'`: the client logs unparsable SSE data before it throws.
  return new OpenAI({
    apiKey: 'test',
    baseURL: server.url,
    maxRetries: 0,
    logLevel: 'off',
    ...options,
  });
}

const SCHEMA = {
  type: 'object',
  properties: {
    rollout_summary: { type: 'string' },
    rollout_slug: { type: 'string' },
    raw_memory: { type: 'string' },
  },
  required: ['rollout_summary', 'rollout_slug', 'raw_memory'],
  additionalProperties: false,
};

const TOOLS: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'read_file',
    description: 'Reads a file of the memories root.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
      additionalProperties: false,
    },
    strict: true,
  },
  {
    type: 'function',
    name: 'write_file',
    description: 'Writes a file of the memories root.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
      additionalProperties: false,
    },
    strict: true,
  },
];

describe('startMockResponsesServer', () => {
  it('listens on 127.0.0.1 only and answers plain text as JSON', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    server.enqueue({ kind: 'text', text: 'hello from the mock', reasoning: true });

    const response = await client().responses.create({
      model: 'gpt-5.4-mini',
      instructions: 'be brief',
      input: 'hi',
      reasoning: { effort: 'low' },
    });

    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('gpt-5.4-mini');
    expect(response.output_text).toBe('hello from the mock');
    expect(response.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    expect(response._request_id).toBe('req_mock_1');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      index: 0,
      method: 'POST',
      path: '/v1/responses',
      model: 'gpt-5.4-mini',
      instructions: 'be brief',
      input: 'hi',
      reasoning: { effort: 'low' },
      stream: false,
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer test');
  });

  it('answers a strict structured output request that responses.parse() parses back', async () => {
    const value = { rollout_summary: 'summary', rollout_slug: 'fix-ci', raw_memory: 'memory' };
    server.enqueue({ kind: 'json', value });
    const format = {
      type: 'json_schema',
      name: 'codex_output_schema',
      strict: true,
      schema: SCHEMA,
    } as const;

    const response = await client().responses.parse({
      model: 'gpt-5.4-mini',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'rollout' }] }],
      text: { format },
    });

    expect(response.output_parsed).toEqual(value);
    expect(JSON.parse(response.output_text)).toEqual(value);
    expect(server.requests[0]?.textFormat).toEqual(format);
    expect(server.requests[0]?.input).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'rollout' }] },
    ]);
  });

  it('answers function calls and records the follow-up carrying their outputs', async () => {
    server.enqueue(
      {
        kind: 'function-calls',
        text: 'Reading both files.',
        calls: [
          { name: 'read_file', arguments: { path: 'MEMORY.md' } },
          { name: 'read_file', arguments: '{"path":"raw_memories.md"}', callId: 'call_custom' },
        ],
      },
      { kind: 'text', text: 'done' },
    );
    const openai = client();
    const input: ResponseInputItem[] = [{ role: 'user', content: 'consolidate' }];

    const first = await openai.responses.create({ model: 'gpt-5.4', input, tools: TOOLS });
    const calls = first.output.filter((item) => item.type === 'function_call');
    expect(
      calls.map((call) => [call.name, call.call_id, JSON.parse(call.arguments) as unknown]),
    ).toEqual([
      ['read_file', 'call_mock_1_1', { path: 'MEMORY.md' }],
      ['read_file', 'call_custom', { path: 'raw_memories.md' }],
    ]);
    expect(first.output_text).toBe('Reading both files.');

    input.push(...calls);
    for (const call of calls) {
      input.push({ type: 'function_call_output', call_id: call.call_id, output: 'contents' });
    }
    const second = await openai.responses.create({ model: 'gpt-5.4', input, tools: TOOLS });

    expect(second.output_text).toBe('done');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.tools).toEqual(TOOLS);
    expect(server.requests[1]?.input).toEqual(
      expect.arrayContaining([
        { type: 'function_call_output', call_id: 'call_mock_1_1', output: 'contents' },
        { type: 'function_call_output', call_id: 'call_custom', output: 'contents' },
      ]),
    );
  });

  it('streams text as server-sent events', async () => {
    const text = 'A streamed answer, long enough to need several deltas. ✓';
    server.enqueue({ kind: 'text', text });

    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
    const types: string[] = [];
    let collected = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') collected += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }

    expect(collected).toBe(text);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThan(1);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_item.done');
    expect(completed?.output).toEqual([
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text })] }),
    ]);
    expect(server.requests[0]?.stream).toBe(true);
  });

  it('streams function calls that responses.stream() accumulates into finalResponse()', async () => {
    const args = { path: 'skills/ci/SKILL.md', content: 'How to fix the CI when it breaks.' };
    server.enqueue({
      kind: 'function-calls',
      calls: [
        { name: 'write_file', arguments: args },
        { name: 'read_file', arguments: { path: 'MEMORY.md' } },
      ],
      reasoning: true,
    });

    const stream = client().responses.stream({ model: 'gpt-5.4', input: 'go', tools: TOOLS });
    let argumentDeltas = 0;
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') argumentDeltas += 1;
    }
    const final = await stream.finalResponse();

    expect(argumentDeltas).toBeGreaterThan(2);
    expect(final.status).toBe('completed');
    expect(final.output.map((item) => item.type)).toEqual([
      'reasoning',
      'function_call',
      'function_call',
    ]);
    const [, write, read] = final.output;
    expect(write).toMatchObject({ name: 'write_file', call_id: 'call_mock_1_1' });
    expect(write?.type === 'function_call' && JSON.parse(write.arguments)).toEqual(args);
    expect(read).toMatchObject({ name: 'read_file', arguments: '{"path":"MEMORY.md"}' });
    expect(server.requests[0]?.headers['x-stainless-helper-method']).toBe('stream');
  });

  it('answers 429 with retry-after, which the client retries', async () => {
    server.enqueue(
      { kind: 'error', status: 429, message: 'slow down', headers: { 'retry-after': '0' } },
      { kind: 'text', text: 'after the retry' },
    );

    const response = await client({ maxRetries: 1 }).responses.create({ model: 'm', input: 'x' });

    expect(response.output_text).toBe('after the retry');
    expect(server.requests).toHaveLength(2);
  });

  it('answers 429 as a RateLimitError when no retry is left', async () => {
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });

    const error: unknown = await client()
      .responses.create({ model: 'm', input: 'x' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((error as APIError).headers?.get('retry-after')).toBe('7');
  });

  it('answers 500 as an InternalServerError, also to a stream request', async () => {
    server.enqueue(
      { kind: 'error', status: 500, message: 'boom' },
      { kind: 'error', status: 503, message: 'overloaded' },
    );
    const openai = client();

    await expect(openai.responses.create({ model: 'm', input: 'x' })).rejects.toThrow(
      OpenAI.InternalServerError,
    );
    await expect(
      openai.responses.create({ model: 'm', input: 'x', stream: true }),
    ).rejects.toMatchObject({ status: 503, message: '503 overloaded' });
  });

  it('answers a malformed body or event that the client fails to parse', async () => {
    server.enqueue({ kind: 'malformed' }, { kind: 'malformed' });
    const openai = client();

    await expect(openai.responses.create({ model: 'm', input: 'x' })).rejects.toThrow(SyntaxError);
    const stream = openai.responses.stream({ model: 'm', input: 'x' });
    await expect(stream.finalResponse()).rejects.toThrow(/JSON/);
  });

  it('cuts a stream before response.completed, and a JSON body midway', async () => {
    server.enqueue({ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut', graceful: true });
    const openai = client();

    const seen: string[] = [];
    const consume = async () => {
      const stream = await openai.responses.create({ model: 'm', input: 'x', stream: true });
      for await (const event of stream) seen.push(event.type);
    };
    await expect(consume()).rejects.toThrow('terminated');
    expect(seen[0]).toBe('response.created');
    expect(seen).not.toContain('response.completed');

    await expect(openai.responses.create({ model: 'm', input: 'x' })).rejects.toThrow('terminated');

    // A clean end without `response.completed`: the client does not throw, the caller must check.
    const graceful = openai.responses.stream({ model: 'm', input: 'x' });
    const final = await graceful.finalResponse();
    expect(final.status).toBe('in_progress');
  });

  it('delays a slow reply past the client timeout', async () => {
    // A second between the two, so that a loaded machine's slowness never decides the outcome.
    server.enqueue(
      { kind: 'slow', delayMs: 3_000, then: { kind: 'text', text: 'too late' } },
      { kind: 'slow', delayMs: 20, then: { kind: 'text', text: 'in time' } },
    );
    const openai = client({ timeout: 1_000 });

    await expect(openai.responses.create({ model: 'm', input: 'x' })).rejects.toThrow(
      OpenAI.APIConnectionTimeoutError,
    );
    const response = await openai.responses.create({ model: 'm', input: 'x', stream: false });
    expect(response.output_text).toBe('in time');
  });

  it('drops a hanging request on close() and stops listening', async () => {
    server.enqueue({ kind: 'hang' });
    const pending = client().responses.create({ model: 'm', input: 'x' });
    const settled = pending.catch((e: unknown) => e);
    await until(() => server.requests.length === 1);

    await server.close();

    expect(await settled).toBeInstanceOf(OpenAI.APIConnectionError);
    const port = Number(new URL(server.url).port);
    await expect(canConnect(port)).resolves.toBe(false);
    await server.close(); // twice is fine
  });

  it('takes replies from the handler first, then from the script', async () => {
    await server.close();
    server = await startMockResponsesServer({
      handler: (request) =>
        request.model === 'handled'
          ? { kind: 'text', text: `handled #${request.index}` }
          : undefined,
    });
    server.enqueue({ kind: 'text', text: 'scripted' });
    const openai = client();

    expect((await openai.responses.create({ model: 'handled', input: 'x' })).output_text).toBe(
      'handled #0',
    );
    expect((await openai.responses.create({ model: 'other', input: 'x' })).output_text).toBe(
      'scripted',
    );
  });

  it('fails loudly when no reply is scripted', async () => {
    const error: unknown = await client({ maxRetries: 2 })
      .responses.create({ model: 'gpt-5.4', input: 'x', stream: true })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as Error).message).toMatch(
      /no reply scripted for request #1 \(POST \/v1\/responses\), model "gpt-5.4", stream true/,
    );
    // `x-should-retry: false`: the client does not retry a forgotten script.
    expect(server.requests).toHaveLength(1);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
