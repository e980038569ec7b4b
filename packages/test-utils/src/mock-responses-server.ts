import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type {
  Response,
  ResponseCompletedEvent,
  ResponseContentPartAddedEvent,
  ResponseContentPartDoneEvent,
  ResponseCreatedEvent,
  ResponseFunctionCallArgumentsDeltaEvent,
  ResponseFunctionCallArgumentsDoneEvent,
  ResponseFunctionToolCall,
  ResponseInProgressEvent,
  ResponseOutputItemAddedEvent,
  ResponseOutputItemDoneEvent,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponseTextDeltaEvent,
  ResponseTextDoneEvent,
} from 'openai/resources/responses/responses';

/**
 * One request the mock server received, in arrival order. The well-known Responses API fields
 * are lifted out of the JSON body; everything else is in `body`.
 *
 * @example
 * ```ts
 * const [first] = server.requests;
 * expect(first?.model).toBe('gpt-5.4-mini');
 * expect(first?.textFormat).toMatchObject({ type: 'json_schema', strict: true });
 * expect(first?.headers.authorization).toBe('Bearer test');
 * ```
 */
export interface MockRequest {
  /** Position in {@link MockResponsesServer.requests}, from 0. */
  index: number;
  method: string;
  /** The path without its query string, e.g. `/v1/responses`. */
  path: string;
  /** Header names in lower case; a repeated header's values joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body; `undefined` when the body is empty or not JSON. */
  body: unknown;
  /** `body.model`. */
  model: string | undefined;
  /** `body.instructions`. */
  instructions: string | undefined;
  /** `body.input`: a string or an array of input items (`message`, `function_call_output`, …). */
  input: unknown;
  /** `body.tools`. */
  tools: unknown[] | undefined;
  /** `body.text.format`, e.g. `{ type: 'json_schema', name, strict, schema }`. */
  textFormat: unknown;
  /** `body.reasoning`, e.g. `{ effort: 'low' }`. */
  reasoning: unknown;
  /** `body.stream === true`: the reply is sent as server-sent events. */
  stream: boolean;
}

/** A successful reply: the model's output for one request. */
type MockOutputReply =
  | {
      kind: 'text';
      text: string;
      /** Put an (empty-summary) `reasoning` item before the output. */
      reasoning?: boolean;
    }
  | {
      kind: 'json';
      /** Sent as the output text `JSON.stringify(value)`, as a structured output would be. */
      value: unknown;
      reasoning?: boolean;
    }
  | {
      kind: 'function-calls';
      calls: Array<{
        name: string;
        /** An object (sent as its JSON) or a raw string (sent as is, e.g. broken JSON). */
        arguments: unknown;
        /** Default `call_mock_<request>_<n>`. */
        callId?: string;
      }>;
      /** A message placed before the calls. */
      text?: string;
      reasoning?: boolean;
    };

/**
 * What the mock server answers to one `POST /v1/responses`, for plain JSON and for streamed
 * (`stream: true`) requests alike:
 *
 * - `text`, `json`, `function-calls`: a completed response whose output is a message and/or
 *   function calls (optionally preceded by a reasoning item);
 * - `error`: that HTTP status with an OpenAI-shaped error body (`{ error: { message, type, … } }`)
 *   and the given headers (e.g. `retry-after`);
 * - `malformed`: status 200 with a body that is not JSON (non-stream), or an SSE event whose
 *   `data` is not JSON (stream);
 * - `cut`: the connection is destroyed mid-body (non-stream) or mid-stream, before
 *   `response.completed`. With `graceful: true` a stream ends normally instead, still without
 *   `response.completed`: the `openai` client does not throw then, so the caller must notice;
 * - `slow`: `then` is sent after `delayMs` (headers included, so a client `timeout` fires);
 * - `hang`: no answer at all until {@link MockResponsesServer.close}.
 *
 * @example
 * ```ts
 * server.enqueue(
 *   { kind: 'error', status: 429, headers: { 'retry-after': '0' } },
 *   { kind: 'json', value: { rollout_summary: 's', rollout_slug: 'slug', raw_memory: 'm' } },
 *   { kind: 'function-calls', calls: [{ name: 'read_file', arguments: { path: 'MEMORY.md' } }] },
 *   { kind: 'slow', delayMs: 200, then: { kind: 'text', text: 'late' } },
 *   { kind: 'cut' },
 * );
 * ```
 */
export type MockReply =
  | MockOutputReply
  | {
      kind: 'error';
      status: number;
      /** Default `mock error <status>`. */
      message?: string;
      /** Default by status: `rate_limit_exceeded` for 429, none otherwise. */
      code?: string;
      headers?: Record<string, string>;
    }
  | { kind: 'malformed' }
  | {
      kind: 'cut';
      /** The response that is cut short (default: a short text). */
      reply?: MockOutputReply;
      /** Streams only: end the event stream cleanly instead of destroying the connection. */
      graceful?: boolean;
    }
  | { kind: 'slow'; delayMs: number; then: MockReply }
  | { kind: 'hang' };

/**
 * Options of {@link startMockResponsesServer}.
 *
 * @example
 * ```ts
 * const server = await startMockResponsesServer({
 *   handler: (request) =>
 *     request.tools?.length ? undefined : { kind: 'text', text: `echo ${request.model}` },
 * });
 * ```
 */
export interface MockResponsesServerOptions {
  /**
   * Chooses the reply to each request; returning `undefined` takes the next scripted reply
   * (see {@link MockResponsesServer.enqueue}). A handler that throws answers 500.
   */
  handler?: (request: MockRequest) => MockReply | undefined | Promise<MockReply | undefined>;
}

/**
 * A running mock Responses API server (see {@link startMockResponsesServer}).
 *
 * @example
 * ```ts
 * const server = await startMockResponsesServer();
 * afterEach(() => server.close());
 * const client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
 * server.enqueue({ kind: 'text', text: 'hello' });
 * ```
 */
export interface MockResponsesServer {
  /** The base URL for the `openai` client, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  /** Every request received, in order (unknown paths and rejected bodies included). */
  readonly requests: MockRequest[];
  /**
   * Scripts replies, used in order by the requests that the handler (if any) leaves to the
   * script. A request with nothing scripted is answered 500 with a message naming it.
   */
  enqueue(...replies: MockReply[]): void;
  /**
   * Stops the server: drops every open connection (hanging and slow requests included) and
   * resolves once nothing is left listening. Safe to call twice.
   */
  close(): Promise<void>;
}

/** A response object as sent on the wire (no SDK-only `output_text`), with the mock's items. */
type WireResponse = Omit<Response, 'output_text' | 'output'> & { output: OutputItem[] };
type LifecycleEventType = (
  ResponseCreatedEvent | ResponseInProgressEvent | ResponseCompletedEvent
)['type'];
type WireEvent =
  | { type: LifecycleEventType; sequence_number: number; response: WireResponse }
  | ResponseOutputItemAddedEvent
  | ResponseOutputItemDoneEvent
  | ResponseContentPartAddedEvent
  | ResponseContentPartDoneEvent
  | ResponseTextDeltaEvent
  | ResponseTextDoneEvent
  | ResponseFunctionCallArgumentsDeltaEvent
  | ResponseFunctionCallArgumentsDoneEvent;
type OutputItem = ResponseOutputMessage | ResponseFunctionToolCall | ResponseReasoningItem;

/** Deltas carry at most this many characters, so a stream has several of them. */
const DELTA_CHARS = 16;

/**
 * Starts a mock OpenAI Responses API server on `127.0.0.1` (a free port; never another
 * interface) for tests. It speaks real HTTP: `POST /v1/responses` answers a JSON response
 * object, or server-sent events when the body has `stream: true` (`response.created`,
 * `response.in_progress`, `response.output_item.added`, `response.content_part.added`,
 * `response.output_text.delta`, `response.function_call_arguments.delta`, the matching `.done`
 * events, `response.completed`), in the shapes the `openai` package parses. Every request is
 * recorded in `requests`; replies come from `options.handler`, else from the script
 * (`enqueue`). Call `close()` when done.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 *
 * const server = await startMockResponsesServer();
 * try {
 *   server.enqueue({ kind: 'text', text: 'hello' });
 *   const client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
 *   const response = await client.responses.create({ model: 'gpt-5.4-mini', input: 'hi' });
 *   expect(response.output_text).toBe('hello');
 *   expect(server.requests[0]?.input).toBe('hi');
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startMockResponsesServer(
  options: MockResponsesServerOptions = {},
): Promise<MockResponsesServer> {
  const requests: MockRequest[] = [];
  const script: MockReply[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 500, `mock Responses server: ${messageOf(error)}`, NO_RETRY);
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const request = record(req, raw);
    const name = `request #${request.index + 1} (${request.method} ${request.path})`;
    res.setHeader('x-request-id', `req_mock_${request.index + 1}`);
    if (request.method !== 'POST' || request.path !== '/v1/responses') {
      sendError(res, 404, `mock Responses server: no route for ${name}`);
      return;
    }
    if (!isObject(request.body)) {
      sendError(res, 400, `mock Responses server: the body of ${name} is not a JSON object`);
      return;
    }
    let reply: MockReply | undefined;
    try {
      reply = await options.handler?.(request);
    } catch (error) {
      const message = `mock Responses server: the handler threw on ${name}: ${messageOf(error)}`;
      sendError(res, 500, message, NO_RETRY);
      return;
    }
    reply ??= script.shift();
    if (reply === undefined) {
      const details = `model ${JSON.stringify(request.model)}, stream ${request.stream}`;
      sendError(
        res,
        500,
        `mock Responses server: no reply scripted for ${name}, ${details}; ` +
          'call enqueue() or pass a handler',
        NO_RETRY,
      );
      return;
    }
    await deliver(reply, request, res);
  }

  async function deliver(reply: MockReply, request: MockRequest, res: ServerResponse) {
    switch (reply.kind) {
      case 'text':
      case 'json':
      case 'function-calls': {
        const response = buildResponse(reply, request);
        if (request.stream) {
          writeEvents(res, streamEvents(response));
          res.end();
        } else {
          sendJson(res, 200, response);
        }
        return;
      }
      case 'error': {
        const headers = { ...reply.headers };
        sendError(res, reply.status, reply.message ?? `mock error ${reply.status}`, headers, {
          code: reply.code,
        });
        return;
      }
      case 'malformed': {
        if (request.stream) {
          res.writeHead(200, SSE_HEADERS);
          res.end('event: response.created\ndata: {"type":"response.created","response":\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id":"resp_mock_malformed","object":"response","output":[{"type":');
        }
        return;
      }
      case 'cut': {
        const response = buildResponse(reply.reply ?? DEFAULT_CUT_REPLY, request);
        if (request.stream) {
          const events = streamEvents(response);
          // Everything up to, and never including, `response.completed`.
          writeEvents(res, events.slice(0, Math.max(1, Math.floor((events.length - 1) / 2))));
          if (reply.graceful) res.end();
          else res.write('\n', () => res.destroy());
        } else {
          const body = JSON.stringify(response);
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.write(body.slice(0, Math.floor(body.length / 2)), () => res.destroy());
        }
        return;
      }
      case 'slow': {
        if (await wait(reply.delayMs, res)) await deliver(reply.then, request, res);
        return;
      }
      case 'hang':
        // Left open: close() drops the connection.
        return;
    }
  }

  /** Resolves `true` after `ms`, or `false` as soon as the connection or the server closes. */
  function wait(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          res.off('close', onClose);
          resolve(!res.destroyed);
        },
        Math.max(0, ms),
      );
      timers.add(timer);
      res.once('close', onClose);
    });
  }

  function record(req: IncomingMessage, raw: string): MockRequest {
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const fields = isObject(body) ? body : {};
    const text = fields.text;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const request: MockRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers,
      body,
      model: typeof fields.model === 'string' ? fields.model : undefined,
      instructions: typeof fields.instructions === 'string' ? fields.instructions : undefined,
      input: fields.input,
      tools: Array.isArray(fields.tools) ? (fields.tools as unknown[]) : undefined,
      textFormat: isObject(text) ? text.format : undefined,
      reasoning: fields.reasoning,
      stream: fields.stream === true,
    };
    requests.push(request);
    return request;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue(...replies) {
      script.push(...replies);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
      });
      return closing;
    },
  };
}

const DEFAULT_CUT_REPLY: MockOutputReply = {
  kind: 'text',
  text: 'This answer is cut short before it is complete.',
};

/** Tells the `openai` client not to retry: a mock-side mistake must fail at once. */
const NO_RETRY = { 'x-should-retry': 'false' };

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** The completed response object for a successful reply, as the API sends it. */
function buildResponse(reply: MockOutputReply, request: MockRequest): WireResponse {
  const n = request.index + 1;
  const output: OutputItem[] = [];
  if (reply.reasoning) output.push({ type: 'reasoning', id: `rs_mock_${n}`, summary: [] });
  const text =
    reply.kind === 'text'
      ? reply.text
      : reply.kind === 'json'
        ? JSON.stringify(reply.value)
        : reply.text;
  if (text !== undefined) {
    output.push({
      type: 'message',
      id: `msg_mock_${n}`,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
  }
  if (reply.kind === 'function-calls') {
    reply.calls.forEach((call, i) => {
      output.push({
        type: 'function_call',
        id: `fc_mock_${n}_${i + 1}`,
        call_id: call.callId ?? `call_mock_${n}_${i + 1}`,
        name: call.name,
        arguments:
          typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        status: 'completed',
      });
    });
  }
  const body = isObject(request.body) ? request.body : {};
  // Token counts are rough (4 characters a token) but deterministic.
  const inputTokens = Math.ceil(JSON.stringify(body).length / 4);
  const outputTokens = Math.ceil(JSON.stringify(output).length / 4);
  const createdAt = Math.floor(Date.now() / 1000);
  // Request fields are echoed back as the API does; the mock does not validate them.
  return {
    id: `resp_mock_${n}`,
    object: 'response',
    created_at: createdAt,
    completed_at: createdAt,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: (body.instructions ?? null) as WireResponse['instructions'],
    metadata: (body.metadata ?? {}) as WireResponse['metadata'],
    model: request.model ?? 'mock-model',
    output,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    temperature: null,
    tool_choice: (body.tool_choice ?? 'auto') as WireResponse['tool_choice'],
    tools: (request.tools ?? []) as WireResponse['tools'],
    top_p: null,
    reasoning: request.reasoning ?? { effort: null, summary: null },
    text: body.text ?? { format: { type: 'text' } },
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
}

/** The server-sent events of a response, from `response.created` to `response.completed`. */
function streamEvents(response: WireResponse): WireEvent[] {
  const events: WireEvent[] = [];
  let sequence = 0;
  const push = (event: DistributiveOmit<WireEvent, 'sequence_number'>) => {
    events.push({ ...event, sequence_number: sequence++ });
  };
  const started: WireResponse = {
    ...response,
    status: 'in_progress',
    completed_at: null,
    output: [],
  };
  delete started.usage;
  push({ type: 'response.created', response: started });
  push({ type: 'response.in_progress', response: started });
  response.output.forEach((item, output_index) => {
    switch (item.type) {
      case 'message': {
        push({
          type: 'response.output_item.added',
          output_index,
          item: { ...item, status: 'in_progress', content: [] },
        });
        item.content.forEach((part, content_index) => {
          if (part.type !== 'output_text') return;
          const item_id = item.id;
          const at = { item_id, output_index, content_index };
          push({ type: 'response.content_part.added', ...at, part: { ...part, text: '' } });
          for (const delta of chunks(part.text)) {
            push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] });
          }
          push({ type: 'response.output_text.done', ...at, text: part.text, logprobs: [] });
          push({ type: 'response.content_part.done', ...at, part });
        });
        break;
      }
      case 'function_call': {
        const item_id = item.id ?? '';
        push({
          type: 'response.output_item.added',
          output_index,
          item: { ...item, arguments: '', status: 'in_progress' },
        });
        for (const delta of chunks(item.arguments)) {
          push({ type: 'response.function_call_arguments.delta', item_id, output_index, delta });
        }
        push({
          type: 'response.function_call_arguments.done',
          item_id,
          output_index,
          name: item.name,
          arguments: item.arguments,
        });
        break;
      }
      case 'reasoning':
        push({ type: 'response.output_item.added', output_index, item });
        break;
    }
    push({ type: 'response.output_item.done', output_index, item });
  });
  push({ type: 'response.completed', response });
  return events;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function writeEvents(res: ServerResponse, events: readonly WireEvent[]): void {
  if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
  for (const event of events) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** `text` in pieces of at most {@link DELTA_CHARS} characters (never splitting a code point). */
function chunks(text: string): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += DELTA_CHARS) {
    pieces.push(chars.slice(i, i + DELTA_CHARS).join(''));
  }
  return pieces;
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** An error in the API's shape: `{ error: { message, type, param, code } }`. */
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
  extra: { code?: string | undefined } = {},
): void {
  const type =
    status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = extra.code ?? (status === 429 ? 'rate_limit_exceeded' : null);
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
