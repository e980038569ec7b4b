import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh access token: 24 random bytes, URL-safe base64 (32 characters). */
export function generateAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Whether `given` is `expected`, compared in constant time. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * How long the browser keeps the token's cookie: 12 hours, a working day. A restarted server
 * generates a new token anyway (unless one is given); the cookie does not outlive that day in a
 * browser that restores its session cookies.
 */
export const TOKEN_COOKIE_MAX_AGE_SECONDS = 12 * 60 * 60;

/**
 * The cookie that carries the token once the first request brought it in the URL. Cookies are
 * shared by every port of a host, so the name holds the port: two servers do not overwrite each
 * other's.
 */
export function tokenCookieName(port: number): string {
  return `agent_state_token_${port}`;
}
