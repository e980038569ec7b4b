import { createServer } from 'node:net';

import { tempDirs } from '@agent-state/test-utils';
import { errorCategory } from '@agent-state/state';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ListenError, WebErrorCode } from '../errors.js';
import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { httpGet } from '../testing/http-get.js';
import { externalIPv4 } from './allowed-hosts.js';
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
    const { existsSync } = await import('node:fs');
    const { stateDbPath } = await import('@agent-state/state');
    expect(existsSync(stateDbPath(bare))).toBe(false);
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
