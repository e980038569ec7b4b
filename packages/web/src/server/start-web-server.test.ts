import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

import { tempDirs } from '@agent-state/test-utils';
import {
  type LogRecord,
  ManualClock,
  createLogger,
  errorCategory,
  logsDbFileName,
  openStateStore,
  stateDbFileName,
  stateDbPath,
} from '@agent-state/state';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ListenError, WebErrorCode } from '../errors.js';
import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { changedFiles, snapshotFiles } from '../testing/home-snapshot.js';
import { httpGet } from '../testing/http-get.js';
import { makeStoreOlder } from '../testing/older-schema-store.js';
import { TOKEN_COOKIE_MAX_AGE_SECONDS } from './access-token.js';
import { externalIPv4 } from './machine-addresses.js';
import { type WebServer, startWebServer } from './start-web-server.js';

const temp = tempDirs();
let home: string;
const servers: WebServer[] = [];

beforeAll(async () => {
  home = await fixtureHome(temp);
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});
afterAll(() => temp.cleanup());

async function start(
  options: Partial<Parameters<typeof startWebServer>[0]> = {},
): Promise<WebServer> {
  const server = await startWebServer({ home, port: 0, ...options });
  servers.push(server);
  return server;
}

/** `path` on the server, asked of `127.0.0.1` with the `Host` header a browser would send. */
function get(server: WebServer, path: string, headers: Record<string, string> = {}) {
  return httpGet(`http://127.0.0.1:${server.port}${path}`, {
    headers: { host: `127.0.0.1:${server.port}`, ...headers },
  });
}

describe('startWebServer on loopback', () => {
  it('listens on 127.0.0.1 without a token and serves the pages', async () => {
    const server = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.token).toBeUndefined();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    for (const path of ['/', '/search?q=hi', `/threads/${ECHO_THREAD_ID}`, '/usage', '/health']) {
      const reply = await get(server, path);
      expect(reply.status, path).toBe(200);
      expect(reply.headers['content-type'], path).toMatch(/^text\/html/);
    }
  });

  it('answers as localhost and [::1] too, and refuses any other Host (DNS rebinding)', async () => {
    const server = await start();
    expect((await get(server, '/', { host: `localhost:${server.port}` })).status).toBe(200);
    expect((await get(server, '/', { host: `[::1]:${server.port}` })).status).toBe(200);
    for (const host of [
      `evil.example:${server.port}`,
      'evil.example',
      `127.0.0.1:${server.port + 1}`,
    ]) {
      const reply = await get(server, '/', { host });
      expect(reply.status, host).toBe(421);
      expect(reply.body).not.toContain('<table');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('sends its security headers and never a CORS header, not even to a preflight', async () => {
    const server = await start();
    const reply = await get(server, '/', { origin: 'https://evil.example' });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
    expect(reply.headers['content-security-policy']).not.toContain('unsafe');
    const preflight = await httpGet(`http://127.0.0.1:${server.port}/`, {
      method: 'OPTIONS',
      headers: {
        host: `127.0.0.1:${server.port}`,
        origin: 'https://evil.example',
        'access-control-request-method': 'GET',
      },
    });
    for (const response of [reply, preflight]) {
      expect(
        Object.keys(response.headers).filter((name) => name.startsWith('access-control-')),
      ).toEqual([]);
    }
  });

  it('only reads: POST, PUT, DELETE and OPTIONS are refused with 405', async () => {
    const server = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const reply = await httpGet(`http://127.0.0.1:${server.port}/`, {
        method,
        headers: { host: `127.0.0.1:${server.port}` },
      });
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    expect(
      (
        await httpGet(`http://127.0.0.1:${server.port}/`, {
          method: 'HEAD',
          headers: { host: `127.0.0.1:${server.port}` },
        })
      ).status,
    ).toBe(200);
  });

  it('answers an unknown thread with a 404 page naming its id', async () => {
    const server = await start();
    const unknown = '01a1fca2-0000-7000-8000-000000000000';
    for (const id of [unknown, 'not-a-thread']) {
      const reply = await get(server, `/threads/${id}`);
      expect(reply.status, id).toBe(404);
      expect(reply.body).toContain(`Thread ${id} not found`);
    }
    expect((await get(server, `/threads/${unknown}/export.json`)).status).toBe(404);
    expect((await get(server, `/threads/${ECHO_THREAD_ID}/export.exe`)).status).toBe(404);
    expect((await get(server, '/nothing/here')).status).toBe(404);
  });

  it('serves the hashed assets with long caching, pages with none', async () => {
    const server = await start();
    const page = await get(server, '/');
    expect(page.headers['cache-control']).toBe('no-store');
    const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(
      (match) => match[1]!,
    );
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const reply = await get(server, asset);
      expect(reply.status, asset).toBe(200);
      expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await get(server, '/assets/../package.json')).status).toBe(404);
  });

  it('downloads a transcript as Markdown, self-contained HTML and JSON', async () => {
    const server = await start();
    const md = await get(server, `/threads/${ECHO_THREAD_ID}/export.md`);
    expect(md.headers['content-disposition']).toBe(`attachment; filename="${ECHO_THREAD_ID}.md"`);
    expect(md.body).toContain('echo hi');
    const html = await get(server, `/threads/${ECHO_THREAD_ID}/export.html`);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('$ echo hi');
    const json = await get(server, `/threads/${ECHO_THREAD_ID}/export.json`);
    expect(JSON.parse(json.body)).toMatchObject({
      format: 'agent-state.transcript',
      thread: { id: ECHO_THREAD_ID },
    });
  });

  it('requires the token on loopback when one is given', async () => {
    const server = await start({ token: 'loopback-secret-token' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=loopback-secret-token`);
    expect((await get(server, '/')).status).toBe(401);
    expect((await get(server, '/?token=wrong-token-value')).status).toBe(403);
  });

  it('names the port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error: unknown = await startWebServer({ home, port }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ListenError);
      expect(error).toMatchObject({ code: WebErrorCode.PortInUse, port });
      expect((error as Error).message).toContain(`port ${port} is in use`);
      expect(errorCategory(error)).toBe('invalid-argument');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('tells a home without a store to run the backfill, and lists its rollouts', async () => {
    const bare = await fixtureHome(temp, { backfill: false });
    const server = await start({ home: bare });
    const list = await get(server, '/');
    expect(list.status).toBe(200);
    expect(list.body).toContain('agent-state backfill');
    expect(list.body).toContain(ECHO_THREAD_ID);
    for (const path of ['/search?q=hi', '/usage', '/health']) {
      expect((await get(server, path)).body, path).toContain('agent-state backfill');
    }
    expect(existsSync(stateDbPath(bare))).toBe(false);
  });

  it('answers at the URL it prints when bound to an IPv4-mapped address', async () => {
    const server = await start({ host: '::ffff:127.0.0.1' });
    expect(server.token).toBeUndefined();
    expect(server.url).toBe(`http://[::ffff:7f00:1]:${server.port}/`);
    // A browser sends the host as the URL writes it (other spellings are compared equal too: see
    // host-name.test.ts; Hono's Node adapter refuses them first, with 400).
    const url = new URL(server.url);
    for (const host of [url.host, `127.0.0.1:${server.port}`, `LOCALHOST:${server.port}`]) {
      const reply = await httpGet(server.url, { headers: { host } });
      expect(reply.status, host).toBe(200);
    }
  });

  it('lays out the turns of a transcript page only when shown (not in an export)', async () => {
    const server = await start();
    const page = await get(server, '/');
    const css = /href="(\/assets\/app-[^"]+\.css)"/.exec(page.body)?.[1];
    expect(css).toBeDefined();
    expect((await get(server, css!)).body).toMatch(
      /\.transcript \.turn\s*\{[^}]*content-visibility:\s*auto[^}]*contain-intrinsic-size:\s*auto/,
    );
    const html = await get(server, `/threads/${ECHO_THREAD_ID}/export.html`);
    expect(html.body).not.toContain('content-visibility');
  });

  it('logs a page that fails (500) once, with its path', async () => {
    const records: LogRecord[] = [];
    const store = await openStateStore({ home, readOnly: true, integrityCheck: false });
    await store.close(); // every query of a closed store fails
    const server = await start({ store, logger: createLogger((record) => records.push(record)) });
    const reply = await get(server, '/usage');
    expect(reply.status).toBe(500);
    expect(reply.body).toContain('Something went wrong');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'error',
      message: 'a page failed',
      fields: { target: 'agent_state::web', path: '/usage' },
    });
  });

  it('takes the health report at most every 30 seconds, and says when it took it', async () => {
    const start0 = Date.parse('2026-12-01T10:00:00.000Z');
    const clock = new ManualClock(start0);
    const server = await start({ clock });
    const takenAt = async (): Promise<string | undefined> =>
      /Report taken at <time datetime="([^"]+)"/.exec((await get(server, '/health')).body)?.[1];
    expect(await takenAt()).toBe('2026-12-01T10:00:00.000Z');
    clock.advance(29_000);
    expect(await takenAt()).toBe('2026-12-01T10:00:00.000Z');
    clock.advance(1_000);
    expect(await takenAt()).toBe('2026-12-01T10:00:30.000Z');
  });
});

/** SQLite's companions of the store, which a reader may create: an empty WAL and its index. */
function companion(path: string): boolean {
  return path === `${stateDbFileName()}-wal` || path === `${stateDbFileName()}-shm`;
}

describe('startWebServer on a home whose store cannot be read', () => {
  it('lists the rollouts and says what is wrong and what to do on every page (older schema)', async () => {
    const older = await fixtureHome(temp);
    const { latest } = makeStoreOlder(older);
    const before = snapshotFiles(older);
    const server = await start({ home: older });
    const list = await get(server, '/');
    expect(list.status).toBe(200);
    expect(list.body).toContain(ECHO_THREAD_ID);
    expect(list.body).toContain('The store cannot be read');
    expect(list.body).toContain(`older than this release&#39;s (${latest})`);
    expect(list.body).toContain('agent-state backfill');
    for (const path of ['/search?q=hi', '/usage']) {
      const reply = await get(server, path);
      expect(reply.status, path).toBe(200);
      expect(reply.body, path).toContain('The store cannot be read');
    }
    const health = await get(server, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toContain('cannot be opened (STORE_IO)');
    expect(health.body).toContain(`older than this release&#39;s (${latest})`);
    const transcript = await get(server, `/threads/${ECHO_THREAD_ID}`);
    expect(transcript.status).toBe(200);
    expect(transcript.body).toContain('echo hi');
    expect((await get(server, `/threads/${ECHO_THREAD_ID}/export.md`)).status).toBe(200);
    // Nothing migrated it: the server never writes.
    const after = snapshotFiles(older);
    expect(changedFiles(before, after, companion)).toEqual([]);
    expect(after.get(`${stateDbFileName()}-wal`)?.size ?? 0).toBe(0);
  });
});

/**
 * Makes the echo thread's one turn long: `calls` more commands (a call and its output each)
 * before the turn completes. Returns the rollout line of each added call.
 */
function lengthenEchoTurn(home: string, calls: number): number[] {
  const path = findEchoRollout(home);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const call = lines.findIndex((line) => line.includes('"type":"function_call",'));
  const output = lines.findIndex((line) => line.includes('"type":"function_call_output"'));
  const added: string[] = [];
  for (let n = 0; n < calls; n += 1) {
    added.push(
      lines[call]!.replaceAll('call_mwpzgjhd4', `call_more_${n}`),
      lines[output]!.replaceAll('call_mwpzgjhd4', `call_more_${n}`).replace('\\nhi', `\\nhi ${n}`),
    );
  }
  const end = lines.length - 1; // task_complete
  const all = [...lines.slice(0, end), ...added, ...lines.slice(end)].map((line, ordinal) =>
    line.replace(/"ordinal":\d+/, `"ordinal":${ordinal}`),
  );
  writeFileSync(path, `${all.join('\n')}\n`);
  return Array.from({ length: calls }, (_, n) => end + 2 * n + 1);
}

function findEchoRollout(home: string): string {
  const path = `${home}/sessions/2026/11/21/rollout-2026-11-21T05-44-17-${ECHO_THREAD_ID}.jsonl`;
  expect(existsSync(path)).toBe(true);
  return path;
}

describe('startWebServer pages a long transcript', () => {
  it('splits a turn of many items over pages, and ?line= opens the page holding the line', async () => {
    const long = await fixtureHome(temp, { backfill: false });
    const added = lengthenEchoTurn(long, 400); // the turn: about 405 items
    const server = await start({ home: long });
    const first = await get(server, `/threads/${ECHO_THREAD_ID}`);
    expect(first.status).toBe(200);
    expect(first.body).toContain('Page 1 of 2');
    expect(first.body).toContain('>Turn 1</h2>');
    expect(first.body).toContain('This turn goes on on the next page.');
    expect(first.body.match(/<article class="item /g)).toHaveLength(300);
    const lastLine = added.at(-1)!;
    expect(first.body).not.toContain(`id="line-${lastLine}"`);

    const second = await get(server, `/threads/${ECHO_THREAD_ID}?line=${lastLine}`);
    expect(second.body).toContain('Page 2 of 2');
    expect(second.body).toContain('>Turn 1 (continued)</h2>');
    expect(second.body).toContain(`id="line-${lastLine}"`);
    expect(second.body).toContain(`hi 399`);
    expect((await get(server, `/threads/${ECHO_THREAD_ID}?line=${added[0]}`)).body).toContain(
      'Page 1 of 2',
    );
  });
});

describe('startWebServer writes nothing to the home', () => {
  const PAGES = [
    '/',
    '/?archived=1&sort=updated',
    '/search?q=echo',
    '/search?q=%22unclosed',
    `/threads/${ECHO_THREAD_ID}`,
    `/threads/${ECHO_THREAD_ID}?line=12`,
    `/threads/${ECHO_THREAD_ID}/export.md`,
    `/threads/${ECHO_THREAD_ID}/export.html`,
    `/threads/${ECHO_THREAD_ID}/export.json`,
    '/threads/01a1fca2-0000-7000-8000-000000000000',
    '/usage',
    '/usage?days=all',
    '/health',
  ];
  it.each([
    ['a backfilled home', {}],
    ['a home without a store', { backfill: false }],
  ])('serving every page of %s', async (_name, options) => {
    const fresh = await fixtureHome(temp, options);
    const before = snapshotFiles(fresh);
    const server = await start({ home: fresh });
    for (const path of PAGES) {
      const reply = await get(server, path);
      expect(reply.status, path).toBeLessThan(500);
    }
    await server.close();
    const after = snapshotFiles(fresh);
    expect(changedFiles(before, after, companion)).toEqual([]);
    expect(after.get(`${stateDbFileName()}-wal`)?.size ?? 0).toBe(0);
    expect(existsSync(`${fresh}/${logsDbFileName()}`)).toBe(false);
  });
});

describe('startWebServer on a non-loopback address', () => {
  it('requires the token, then keeps it in a cookie', async () => {
    const server = await start({ host: '0.0.0.0' });
    expect(server.token).toMatch(/^[\w-]{32}$/);
    expect(new URL(server.url).searchParams.get('token')).toBe(server.token);
    // Asked from the machine's network address when it has one (a request from a non-loopback
    // address), else from loopback: the token is required either way.
    const address = externalIPv4() ?? '127.0.0.1';
    const base = `http://${address}:${server.port}`;
    const headers = { host: `${address}:${server.port}` };

    const without = await httpGet(`${base}/threads/${ECHO_THREAD_ID}`, { headers });
    expect(without.status).toBe(401);
    expect(without.body).not.toContain('echo hi');
    expect((await httpGet(`${base}/?token=not-the-token`, { headers })).status).toBe(403);

    const first = await httpGet(`${base}/usage?days=30&token=${server.token}`, { headers });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/usage?days=30');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toContain(`agent_state_token_${server.port}=${server.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain(`Max-Age=${TOKEN_COOKIE_MAX_AGE_SECONDS}`);
    expect(TOKEN_COOKIE_MAX_AGE_SECONDS).toBe(12 * 60 * 60);

    const withCookie = await httpGet(`${base}/threads/${ECHO_THREAD_ID}`, {
      headers: { ...headers, cookie: cookie.split(';')[0]! },
    });
    expect(withCookie.status).toBe(200);
    expect(withCookie.body).toContain('echo hi');
    // The token does not make a foreign Host acceptable.
    const foreign = await httpGet(`${base}/`, {
      headers: { host: `evil.example:${server.port}`, cookie: cookie.split(';')[0]! },
    });
    expect(foreign.status).toBe(421);
  });

  it('redirects the token to a path of its own server, never to another site', async () => {
    const server = await start({ token: 'redirect-token-1234' });
    for (const [path, location] of [
      ['//evil.example/', '/evil.example/'],
      ['///evil.example/x?a=1', '/evil.example/x?a=1'],
      ['/%2F%2Fevil.example/', '/%2F%2Fevil.example/'],
      ['/\\evil.example/', '/evil.example/'],
      ['/usage?token=redirect-token-1234&days=30', '/usage?days=30'],
    ] as const) {
      const query = path.includes('token=')
        ? ''
        : `${path.includes('?') ? '&' : '?'}token=redirect-token-1234`;
      const reply = await get(server, `${path}${query}`);
      expect(reply.status, path).toBe(303);
      expect(reply.headers.location, path).toBe(location);
    }
  });

  it('keeps a given token', async () => {
    const server = await start({ host: '0.0.0.0', token: 'given-token-1234' });
    expect(server.token).toBe('given-token-1234');
  });

  it('refuses a token that could not ride in a URL', async () => {
    await expect(startWebServer({ home, port: 0, token: 'short' })).rejects.toThrow(/token/);
    await expect(startWebServer({ home, port: 0, token: 'has spaces in it' })).rejects.toThrow(
      /token/,
    );
  });
});
