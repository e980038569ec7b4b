import { StoreBusyError, StoreIoError, isAgentStateError } from '@agent-state/state';

import { StoreAuthError, StoreUnreachableError } from '../errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT', // a Unix socket that is not there
]);

/**
 * An error of `pg` (or of the network under it) as one of agent-state's typed errors naming
 * `server` (which never holds the password). Agent-state errors pass through unchanged.
 */
export function toPostgresStoreError(error: unknown, server: string): Error {
  if (isAgentStateError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) {
      return new StoreUnreachableError(server, `${code.toLowerCase()} (${message})`, {
        cause: error,
      });
    }
    if (code === '28P01' || code === '28000') {
      return new StoreAuthError(server, message, { cause: error });
    }
    if (code === '3D000') {
      return new StoreIoError(server, `${message}; create it first (createdb)`, { cause: error });
    }
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') {
      return new StoreUnreachableError(server, message, { cause: error });
    }
    if (code === '53300' || code === '55P03') return new StoreBusyError(server, { cause: error });
    return new StoreIoError(server, `${message} (SQLSTATE ${code})`, { cause: error });
  }
  if (/password must be a string|no password|SASL/i.test(message)) {
    return new StoreAuthError(
      server,
      'the server asks for a password and none was given (in the URL, PGPASSWORD or a pgpass file)',
      { cause: error },
    );
  }
  if (/timeout|terminated|ended unexpectedly|not queryable|Connection terminated/i.test(message)) {
    return new StoreUnreachableError(server, message, { cause: error });
  }
  // Not the server's nor the network's: a bug, passed on as it is.
  return error instanceof Error ? error : new StoreIoError(server, message, { cause: error });
}
