import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

import { TOKEN_COOKIE_MAX_AGE_SECONDS, tokenMatches } from './access-token.js';
import { isAllowedHost } from './allowed-hosts.js';
import { PAGE_CSP, SECURITY_HEADERS } from './security-headers.js';

/** What the guard checks; the hosts and the cookie's name are known once the server listens. */
export interface GuardSettings {
  /** The `Host` headers the server answers, as URLs write them (see `allowedHosts`). */
  hosts: ReadonlySet<string>;
  /** The access token every request must carry, or `undefined` when none is required. */
  token: string | undefined;
  /** The cookie that carries the token after the first request. */
  cookieName: string;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

/**
 * The server's defences, before any route: the security headers on every response; a `Host`
 * header other than the server's own refused (421: DNS rebinding); methods other than GET and
 * HEAD refused (405); and when a token is required, a request without it refused (401) or with a
 * wrong one (403). The first request that brings the token in its URL (`?token=`) gets it as an
 * HttpOnly, SameSite=Strict cookie (for {@link TOKEN_COOKIE_MAX_AGE_SECONDS}) and is redirected
 * to the same path without it.
 */
export function requestGuard(settings: GuardSettings): MiddlewareHandler {
  return async (c, next) => {
    const response = guard(c.req.raw, settings);
    if (response !== undefined) {
      c.res = response;
    } else {
      const token = settings.token;
      const given = new URL(c.req.url).searchParams.get('token');
      if (token !== undefined && given !== null) {
        if (!tokenMatches(given, token)) {
          c.res = new Response('Forbidden: this access token is not the server’s.\n', {
            status: 403,
            headers: TEXT,
          });
        } else {
          setCookie(c, settings.cookieName, token, {
            httpOnly: true,
            sameSite: 'Strict',
            path: '/',
            maxAge: TOKEN_COOKIE_MAX_AGE_SECONDS,
          });
          c.res = c.redirect(withoutToken(c.req.url), 303);
        }
      } else if (token !== undefined && !tokenMatches(getCookie(c, settings.cookieName), token)) {
        c.res = new Response(
          'Unauthorized: open the URL `agent-state serve` printed (it carries the access token).\n',
          { status: 401, headers: TEXT },
        );
      } else {
        await next();
      }
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has('Content-Security-Policy')) {
      c.res.headers.set('Content-Security-Policy', PAGE_CSP);
    }
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
    return undefined;
  };
}

/**
 * Where the token's redirect goes: the request's path and query without `token`, as a path of
 * this server only. Leading slashes are collapsed (`//evil.example/` would be a protocol-relative
 * URL: another site) and the path is resolved against a base, so what is sent is always
 * `/…` on the same origin.
 */
export function withoutToken(requestUrl: string): string {
  const url = new URL(requestUrl);
  url.searchParams.delete('token');
  const base = 'http://server.invalid';
  const target = new URL(`${url.pathname.replace(/^\/+/, '/')}${url.search}`, base);
  return target.origin === base ? `${target.pathname}${target.search}` : '/';
}

/** The refusal of a request from another site's name or with another method, if it is one. */
function guard(request: Request, settings: GuardSettings): Response | undefined {
  const host = request.headers.get('host');
  if (!isAllowedHost(host, settings.hosts)) {
    return new Response(
      `Misdirected request: this server answers only at its own address, not at ${JSON.stringify(host ?? '')}.\n`,
      { status: 421, headers: TEXT },
    );
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Method not allowed: this server only reads.\n', {
      status: 405,
      headers: { ...TEXT, Allow: 'GET, HEAD' },
    });
  }
  return undefined;
}
