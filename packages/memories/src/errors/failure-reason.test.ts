import { createServer } from 'node:net';

import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

import { REDACTED } from '../phase1/redact-secrets.js';
import { ConsolidationModelError } from '../phase2/consolidation-errors.js';
import { MAX_FAILURE_REASON_CHARS, failureReason } from './failure-reason.js';

// A fake key, assembled so that no scanner mistakes this file for a leak.
const SECRET = ['sk-proj-', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'].join('');

/** A local port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('failureReason', () => {
  it('follows the cause chain of a refused connection down to its code', async () => {
    const port = await closedPort();
    const client = new OpenAI({
      apiKey: 'test',
      baseURL: `http://127.0.0.1:${port}/v1`,
      maxRetries: 0,
    });
    const error = await client.responses.create({ model: 'm', input: 'hi' }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    // What the SDK says by itself: nothing about why.
    expect((error as Error).message).toBe('Connection error.');
    const reason = failureReason(error);
    expect(reason).toContain('Connection error.');
    expect(reason).toContain('fetch failed');
    expect(reason).toContain('ECONNREFUSED');
    expect(reason).toContain(String(port));
  });

  it('names the status, the class and the code, each once', () => {
    const http = Object.assign(new Error('429 Rate limit reached'), {
      status: 429,
      code: 'rate_limit_exceeded',
    });
    expect(failureReason(http)).toBe('HTTP 429: Rate limit reached (rate_limit_exceeded)');
    const wrapped = new Error('request failed: HTTP 429: Rate limit reached', { cause: http });
    expect(failureReason(wrapped)).toBe(
      'request failed: HTTP 429: Rate limit reached; cause: rate_limit_exceeded',
    );
    expect(failureReason(new TypeError('fetch failed'))).toBe('TypeError: fetch failed');
    const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(failureReason(system)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('describes aggregate errors, codes without a message, and values that are not errors', () => {
    const aggregate = Object.assign(
      new AggregateError([
        new Error('connect ECONNREFUSED ::1:8080'),
        new Error('connect ECONNREFUSED 127.0.0.1:8080'),
      ]),
      { code: 'ECONNREFUSED' },
    );
    expect(failureReason(new Error('fetch failed', { cause: aggregate }))).toBe(
      'fetch failed; cause: AggregateError (ECONNREFUSED); cause: connect ECONNREFUSED ::1:8080; cause: connect ECONNREFUSED 127.0.0.1:8080',
    );
    expect(failureReason('plain\n  text')).toBe('plain text');
    expect(failureReason({ error: 'bad gateway' })).toBe('{"error":"bad gateway"}');
    expect(failureReason(undefined)).toBe('unknown error');
    expect(failureReason(new Error(''))).toBe('unknown error');
  });

  it('gives only the message of the consolidation agent errors, and never repeats a cause', () => {
    const cause = Object.assign(new Error(`500 upstream echoed ${SECRET}`), { status: 500 });
    const wrapper = new ConsolidationModelError(
      `consolidation model request failed: ${failureReason(cause)}`,
      { turns: 1, toolCalls: 0, filesWritten: [], filesDeleted: [] },
      { status: 500, cause },
    );
    expect(failureReason(wrapper)).toBe(
      `consolidation model request failed: HTTP 500: upstream echoed ${REDACTED}`,
    );
  });

  it('stops on cycles and on long chains', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(failureReason(a)).toBe('a; cause: b');
    let deep = new Error('e0');
    for (let i = 1; i < 50; i += 1) deep = new Error(`e${i}`, { cause: deep });
    expect(failureReason(deep).split('; cause: ')).toHaveLength(8);
  });

  it('redacts secrets anywhere in the chain, before cutting to length', () => {
    const body = new Error(`500 upstream rejected Authorization: Bearer ${SECRET}`, {
      cause: new Error(`key ${SECRET} refused`),
    });
    const reason = failureReason(Object.assign(body, { status: 500 }));
    expect(reason).not.toContain(SECRET);
    expect(reason).not.toContain(SECRET.slice(0, 20));
    expect(reason).toBe(
      `HTTP 500: upstream rejected Authorization: Bearer ${REDACTED}; cause: key ${REDACTED} refused`,
    );

    // A huge body with a secret right at the cut: never a piece of it.
    const huge = failureReason(
      new Error(`${'x '.repeat(498)}token=${SECRET} ${'y'.repeat(50_000)}`),
    );
    expect(huge.length).toBeLessThanOrEqual(MAX_FAILURE_REASON_CHARS);
    expect(huge).not.toContain(SECRET.slice(0, 12));
    expect(huge.endsWith('…')).toBe(true);
    expect(failureReason(new Error('abcdef'), { maxChars: 4 })).toBe('abc…');
    expect(failureReason(new Error('ab😀cd'), { maxChars: 4 })).toBe('ab…');
  });
});
